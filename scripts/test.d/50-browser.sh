#!/usr/bin/env bash
# JupyterLab in headless Chromium on the Faultline kernel (built and installed by 30-kernel.sh):
# open a fixture, the welcome notebook and an experiment notebook, run all cells, check their
# plots rendered, save screenshots to build/browser/.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_apt
ensure_venv
isolate_jupyter

run_pytest tests/browser --timeout 900 -q -rs
