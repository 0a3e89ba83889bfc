#!/usr/bin/env bash
# The notebooks: committed clean (no outputs, Faultline kernelspec), and every one runs top to
# bottom on the Faultline kernel without an error or panic and draws at least one plot.
# Needs the kernel installed in the venv (scripts/test.d/30-kernel.sh does it).
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_venv
isolate_jupyter

say "notebooks are committed without outputs"
python -m pytest -q -p no:cacheprovider tests/notebooks/test_committed.py

say "executing every notebook with the faultline kernel (nbmake)"
"$ROOT/tests/notebooks/run-notebooks.sh"

say "every executed notebook drew a plot"
python -m pytest -q -p no:cacheprovider tests/notebooks/test_executed.py
