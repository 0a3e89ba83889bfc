#!/usr/bin/env bash
# The notebooks: committed clean (no outputs, Faultline kernelspec), and every one runs top to
# bottom on the Faultline kernel without an error or panic and draws at least one plot. Prints
# each notebook's run time. Needs the kernel installed in the venv (30-kernel.sh does it).
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_venv
isolate_jupyter

# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
run_pytest() {
  local status=0
  "$@" || status=$?
  if [ "$status" -eq 5 ]; then echo "pytest collected nothing: $*" >&2; exit 1; fi
  return "$status"
}

say "notebooks are committed without outputs"
run_pytest python -m pytest -q -p no:cacheprovider tests/notebooks/test_committed.py

say "executing every notebook with the faultline kernel (nbmake, hard per-cell timeout)"
run_pytest "$ROOT/tests/notebooks/run-notebooks.sh"

say "every executed notebook drew a plot"
run_pytest python -m pytest -q -p no:cacheprovider tests/notebooks/test_executed.py
