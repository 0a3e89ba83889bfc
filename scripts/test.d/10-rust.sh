#!/usr/bin/env bash
# Format, lint, and the workspace's Rust tests (release profile: shares the kernel's build). The
# grader's own tests run in 20-exercises, once.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
cargo fmt --all -- --check
cargo clippy --locked --release --workspace --all-targets -- -D warnings
cargo test --locked --release --workspace --exclude faultline-grader
RUSTDOCFLAGS="-D warnings" cargo doc --locked --release --workspace --no-deps --quiet
