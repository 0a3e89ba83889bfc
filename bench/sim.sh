#!/usr/bin/env bash
# Simulator benchmarks (issue: the simulation prelude). Prints a table; not part of CI.
set -euo pipefail
cd "$(dirname "$0")/sim"
exec cargo run --release --locked -q -- "$@"
