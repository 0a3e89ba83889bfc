#!/usr/bin/env bash
# Kernel latency benchmark (start → first prelude cell, trivial cell, first `let`), against
# evcxr_jupyter too when EVCXR_JUPYTER names its binary (`cargo install evcxr_jupyter`). Builds
# and installs the kernel like the tests; not part of CI.
source "$(dirname "$0")/../scripts/lib/common.sh"
cd "$ROOT"
bench_kernel

# evcxr_jupyter gets the same advantages: the prelude preloaded (its init.evcxr), one build
# directory reused across sessions, and — where rust-src is missing — the same empty std
# stand-in, since it would otherwise install rust-src into the toolchain on its first start.
if [ -n "${EVCXR_JUPYTER:-}" ]; then
  # Outside the repo: inside, cargo would take evcxr's crate for a stray workspace member.
  EVCXR="${TMPDIR:-/tmp}/faultline-bench-evcxr"
  mkdir -p "$EVCXR/config" "$EVCXR/tmp" "$VENV/share/jupyter/kernels/rust"
  printf ':dep faultline = { path = "%s" }\nuse faultline::prelude::*;\n' "$ROOT/prelude" \
    > "$EVCXR/config/init.evcxr"
  python - "$EVCXR_JUPYTER" "$EVCXR" "$ROOT/build/kernel-cache/no-rust-src" <<'PY'
import json, pathlib, subprocess, sys
binary, home, stand_in = sys.argv[1:]
sysroot = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True).stdout.strip()
env = {"EVCXR_CONFIG_DIR": f"{home}/config", "EVCXR_TMPDIR": f"{home}/tmp"}
if not pathlib.Path(sysroot, "lib/rustlib/src/rust/library/core").is_dir():
    env["RUST_SRC_PATH"] = stand_in
spec = {"argv": [binary, "--control_file", "{connection_file}"], "display_name": "Rust (evcxr)",
        "language": "rust", "interrupt_mode": "message", "env": env}
out = pathlib.Path(sys.prefix, "share/jupyter/kernels/rust/kernel.json")
out.write_text(json.dumps(spec, indent=1))
PY
fi
exec python bench/kernel.py "$@"
