#!/usr/bin/env bash
# The notebooks: committed clean (no outputs, Faultline kernelspec), and every one runs top to
# bottom on the Faultline kernel without an error or panic and draws at least one plot. Hidden
# check cells (tag `check`) assert every number the prose quotes, so a notebook whose text no
# longer matches its output fails here; one test proves a check fails when its result changes.
# Prints each notebook's run time. Needs the kernel installed in the venv (30-kernel.sh does it).
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_venv
isolate_jupyter

say "notebooks are committed without outputs; their check cells are hidden and quote their text"
run_pytest -q tests/notebooks/test_committed.py tests/notebooks/test_checks.py

say "executing every notebook with the faultline kernel (nbmake, hard per-cell timeout)"
"$ROOT/tests/notebooks/run-notebooks.sh"  # fails by itself when no notebook is found

say "every executed notebook drew a plot"
run_pytest -q tests/notebooks/test_executed.py

say "a check cell fails when the output it guards changes"
run_pytest -q tests/notebooks/test_check_fails.py
