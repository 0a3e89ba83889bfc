#!/usr/bin/env bash
# Executes every notebook in notebooks/ (or the ones given) with the Faultline kernel via
# nbmake, on copies under build/notebooks/executed/ so the committed files stay clean; prints
# each notebook's run time. Used by scripts/test.d/40-notebooks.sh and scripts/render-notebooks.
# Expects ensure_venv and isolate_jupyter to have run (it calls them if sourced alone).
source "$(dirname "$0")/../../scripts/lib/common.sh"
cd "$ROOT"
ensure_venv
isolate_jupyter
KERNEL="${FAULTLINE_KERNEL_NAME:-faultline}"
# A hard limit per cell: the first cell of a cold run compiles the prelude, so it is generous;
# a cell that hangs (a livelocked simulation) still fails instead of stalling CI.
CELL_TIMEOUT="${FAULTLINE_CELL_TIMEOUT:-300}"
OUT="$ROOT/build/notebooks/executed"

if ! python - "$KERNEL" <<'PY'
import sys
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
try:
    print("kernel:", KernelSpecManager().get_kernel_spec(sys.argv[1]).resource_dir)
except NoSuchKernel:
    sys.exit(1)
PY
then
  echo "the '$KERNEL' kernel is not installed in .venv: run scripts/test.d/30-kernel.sh first" >&2
  exit 1
fi

if [ $# -gt 0 ]; then sources=("$@"); else sources=("$ROOT"/notebooks/*.ipynb); fi
[ -e "${sources[0]}" ] || { echo "no notebooks found" >&2; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT"
cp "${sources[@]}" "$OUT/"
# Run from the executed copies' folder, so files a notebook writes land there too.
PYTHONPATH="$ROOT/tests/notebooks${PYTHONPATH:+:$PYTHONPATH}" python -m pytest \
  -p no:cacheprovider -p timing_plugin --rootdir "$OUT" \
  --nbmake --overwrite --nbmake-kernel="$KERNEL" --nbmake-timeout="$CELL_TIMEOUT" \
  -v "$OUT"/*.ipynb
