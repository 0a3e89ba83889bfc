#!/usr/bin/env bash
# JupyterLab in headless Chromium on the Faultline kernel (built and installed by 30-kernel.sh):
# open a fixture, the welcome notebook and an experiment notebook, run all cells, check their
# plots rendered, save screenshots to build/browser/.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_apt
ensure_venv
isolate_jupyter

status=0
python -m pytest tests/browser -p no:cacheprovider --timeout 900 -q -rs || status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no browser tests" >&2
  exit 1
fi
exit "$status"
