#!/usr/bin/env bash
# A class on JupyterHub, on this machine: deploy/install-class puts the kernel, the toolchain, the
# vendored dependencies and the warm shared cache under a world-readable prefix, then tests/class
# starts a real hub (jupyterhub from PyPI, configurable-http-proxy from npm) whose local spawner
# runs three new Unix users' servers and kernels at once. Needs root: it creates (and removes)
# those users, and the hub spawns servers as them.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
if [ "$(id -u)" -ne 0 ]; then
  echo "60-class: needs root (it creates Unix users and runs a hub that spawns servers as them)" >&2
  exit 1
fi
# useradd and userdel live in sbin, which a CI's minimal PATH may leave out.
export PATH="$PATH:/usr/sbin:/sbin"
ensure_apt
ensure_venv
isolate_jupyter

class="$(mktemp -d /tmp/faultline-class-XXXX)"
trap 'rm -rf "$class"' EXIT
chmod 755 "$class"
export PIP_NO_CACHE_DIR=1 npm_config_cache="$class/npm-cache"
# Node trusts only its own CA bundle; the machine's (which pip and curl use) may hold more.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi

say "class: the hub's Python (Debian's python3, readable by every user) and its proxy"
/usr/bin/python3 -m venv "$class/venv"
"$class/venv/bin/pip" install -q --disable-pip-version-check -r deploy/requirements-hub.txt
mkdir -p "$class/proxy"
cp deploy/package.json "$class/proxy/"
npm install --loglevel=error --no-audit --no-fund --prefix "$class/proxy" >/dev/null

say "class: deploy/install-class into $class/faultline"
PATH="$class/venv/bin:$PATH" deploy/install-class "$class/faultline" --sys-prefix

FAULTLINE_CLASS_DIR="$class" run_pytest tests/class -q -s -rs --timeout 900
