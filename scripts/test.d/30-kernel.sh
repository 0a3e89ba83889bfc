#!/usr/bin/env bash
# The Jupyter kernel: build it (release, locked) into the shared target dir, install its
# kernelspec into the project venv, compile the prelude into its build cache, then run the
# protocol tests (jupyter_kernel_test conformance plus our own) against it.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
ensure_venv
isolate_jupyter

build_kernel
install_kernel "$KERNEL" "$ROOT/build/kernel-cache" "$ROOT/prelude" --sys-prefix
python - <<'PY'
import sys
from jupyter_client.kernelspec import KernelSpecManager
where = KernelSpecManager().get_kernel_spec("faultline").resource_dir
if not where.startswith(sys.prefix):
    sys.exit(f"kernelspec 'faultline' resolves to {where}, not the venv: another spec shadows it")
PY

run_pytest tests/kernel --timeout 600 -q -rs
