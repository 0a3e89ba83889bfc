#!/usr/bin/env bash
# Kernel latency benchmark (start → first prelude cell, trivial cell), against evcxr_jupyter too
# when it is installed. Builds and installs the kernel like the tests; not part of CI.
source "$(dirname "$0")/../scripts/lib/common.sh"
cd "$ROOT"
ensure_venv
isolate_jupyter
cargo build --locked --release -q -p faultline-kernel
KERNEL="$CARGO_TARGET_DIR/release/faultline-kernel"
"$KERNEL" install --sys-prefix --cache-dir "$ROOT/build/kernel-cache" >/dev/null
# Fill the build cache first: the benchmark measures warm starts.
FAULTLINE_CACHE_DIR="$ROOT/build/kernel-cache" "$KERNEL" warm
exec python bench/kernel.py "$@"
