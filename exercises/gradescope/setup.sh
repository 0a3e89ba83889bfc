#!/usr/bin/env bash
# Gradescope: runs once when the autograder image is built. Installs a minimal Rust toolchain
# and prebuilds everything the grade needs with the untouched stubs, so grading a submission
# only recompiles the learner's crate (a second or two) instead of the simulator.
#
# Zip the repository (with exercises/gradescope/setup.sh and run_autograder copied to the zip's
# top level) and upload it as the autograder; see README.md here.
set -euo pipefail
apt-get update -qq && apt-get install -y -qq curl build-essential >/dev/null
if ! command -v cargo >/dev/null; then
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain stable
fi
source "$HOME/.cargo/env"
cd /autograder/source/exercises
# One job: Gradescope's default container has 384 MB; two rustc processes at once can exceed it.
# No debug info: with it the largest rustc peaks at 446 MB, without it at 365 MiB (README.md).
# run_autograder sets the same, so the prebuilt artifacts are the ones the grade reuses.
export CARGO_BUILD_JOBS=1 CARGO_PROFILE_DEV_DEBUG=0
cargo test --locked --no-run
