# Shared set-up for scripts/lab and scripts/test. Source it; it changes nothing outside the repo
# except installing missing Debian packages when run as root.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ROOT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="$ROOT/.venv"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

# Debian packages the tests need: chromium (JupyterLab in a browser) and npm (JupyterHub's
# proxy, for the class test).
ensure_apt() {
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v npm >/dev/null || missing+=(npm)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
    return 1
  fi
  say "installing Debian packages: ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# A project-local Python venv with the pinned Jupyter tools; rebuilt only when the pins change.
ensure_venv() {
  local req="$ROOT/tools/requirements.txt" stamp="$VENV/.requirements.sha256"
  local want; want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "creating Python venv .venv/ from tools/requirements.txt"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$req"
    echo "$want" > "$stamp"
  fi
  quiet_jupyterlab
}

# JupyterLab in the venv does not ask learners about news or check for updates (no network calls
# a class did not ask for, no pop-up over the notebook).
quiet_jupyterlab() {
  local dir="$VENV/share/jupyter/lab/settings"
  mkdir -p "$dir"
  cat > "$dir/overrides.json" <<'JSON'
{"@jupyterlab/apputils-extension:notification": {"checkForUpdates": false, "fetchNews": "false"}}
JSON
}

# Keep Jupyter away from the user's home: every Jupyter path lives under .jupyter/ in the repo.
isolate_jupyter() {
  unset JUPYTER_PATH JUPYTER_CONFIG_PATH
  export JUPYTER_PLATFORM_DIRS=1 JUPYTER_PREFER_ENV_PATH=1
  export JUPYTER_DATA_DIR="$ROOT/.jupyter/data" JUPYTER_CONFIG_DIR="$ROOT/.jupyter/config"
  export JUPYTER_RUNTIME_DIR="$ROOT/.jupyter/runtime" IPYTHONDIR="$ROOT/.jupyter/ipython"
  export PATH="$VENV/bin:$PATH"
}

# pytest with the project's defaults, where "collected no tests" (exit 5) is a failure, not a pass.
run_pytest() {
  local status=0
  python -m pytest -p no:cacheprovider "$@" || status=$?
  if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: $*" >&2
    return 1
  fi
  return "$status"
}

# Builds the kernel (release, locked) into the shared target dir; sets KERNEL to the binary.
build_kernel() {
  say "building the kernel"
  cargo build --locked --release -p faultline-kernel
  KERNEL="$CARGO_TARGET_DIR/release/faultline-kernel"
}

# install_kernel KERNEL CACHE PRELUDE [install flags…]: installs the kernelspec (recording the
# prelude, the cache and the toolchain on PATH), then compiles the prelude into CACHE so the
# first cell of every session is warm — with the kernelspec's settings, or kernels would find
# the build stale. Returns the compile's status.
install_kernel() {
  local kernel=$1 cache=$2 prelude=$3
  shift 3
  "$kernel" install --cache-dir "$cache" --prelude "$prelude" "$@"
  say "compiling the prelude into the kernel's build cache (slow the first time only)"
  FAULTLINE_CACHE_DIR="$cache" FAULTLINE_PRELUDE="$prelude" \
    FAULTLINE_TOOLCHAIN="$(rustc --print sysroot)" "$kernel" warm
}

# For the benchmarks: the venv and Jupyter set up like the tests, the kernel built and installed
# with a warm build cache (they measure warm starts); sets KERNEL.
bench_kernel() {
  ensure_venv
  isolate_jupyter
  build_kernel >/dev/null
  install_kernel "$KERNEL" "$ROOT/build/kernel-cache" "$ROOT/prelude" --sys-prefix >/dev/null
}

# copy_toolchain SYSROOT DEST: a copy of a Rust toolchain that other users can read (an
# administrator's ~/.rustup is private), made of hard links where the filesystem allows, so it
# costs no disk. Kept when DEST already holds the same compiler.
copy_toolchain() {
  local from=$1 to=$2 part
  if [ -x "$to/bin/cargo" ] && [ "$("$to/bin/rustc" -vV)" = "$("$from/bin/rustc" -vV)" ]; then
    return 0
  fi
  rm -rf "$to" "$to.partial"
  mkdir -p "$to.partial"
  for part in bin lib libexec; do
    [ -e "$from/$part" ] || continue
    cp -al "$from/$part" "$to.partial/" 2>/dev/null \
      || { rm -rf "${to:?}.partial/$part"; cp -a "$from/$part" "$to.partial/"; }
  done
  mv "$to.partial" "$to"
}
