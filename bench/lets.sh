#!/usr/bin/env bash
# Many top-level `let`s and interrupt latency (see bench/lets.py). Builds and installs the kernel
# like the tests; not part of CI. Pass `--kernel NAME` to time another installed kernelspec.
source "$(dirname "$0")/../scripts/lib/common.sh"
cd "$ROOT"
bench_kernel
exec python bench/lets.py "$@"
