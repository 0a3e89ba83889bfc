#!/usr/bin/env bash
# Interactive outputs: comm_msg → new figure latency (p50/p95) for a 1,000-trial sweep of a
# 5-node experiment, and the rustc/cargo processes started per change (goal: none), beside the
# baseline of editing the cell and running it again. Builds and installs the kernel like the
# tests; not part of CI.
source "$(dirname "$0")/../scripts/lib/common.sh"
cd "$ROOT"
bench_kernel
exec python bench/widgets.py "$@"
