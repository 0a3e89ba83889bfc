#!/usr/bin/env bash
# The notebooks: committed clean (no outputs, Faultline kernelspec), and every one runs top to
# bottom on the Faultline kernel without an error or panic and draws at least one plot. Prints
# each notebook's run time. Needs the kernel installed in the venv (30-kernel.sh does it).
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_venv
isolate_jupyter

say "notebooks are committed without outputs"
run_pytest -q tests/notebooks/test_committed.py

say "executing every notebook with the faultline kernel (nbmake, hard per-cell timeout)"
"$ROOT/tests/notebooks/run-notebooks.sh"  # fails by itself when no notebook is found

say "every executed notebook drew a plot"
run_pytest -q tests/notebooks/test_executed.py
