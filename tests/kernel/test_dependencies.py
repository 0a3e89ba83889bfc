"""A `:dep` in a cell never moves the prelude's dependencies.

The prelude's lockfile pins its dependencies; a registry index that has since gained newer
versions must not change them when a cell adds a crate. The test does not depend on what the
public registry holds: it builds its own registry (a git index on disk) with `pinme` 1.0.0 and
1.0.1, and a fixture prelude locked to 1.0.0.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import pathlib
import shutil
import subprocess
import tarfile

from conftest import Kernel, outputs_of

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
VERSIONS = ["1.0.0", "1.0.1"]


def crate_file(version: str) -> bytes:
    """`pinme` at `version`, packed as cargo packs a crate."""
    manifest = (FIXTURES / "pinme" / "Cargo.toml").read_text().replace("1.0.0", version)
    files = {
        "Cargo.toml": manifest,
        "src/lib.rs": f'pub const VERSION: &str = "{version}";\n',
    }
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"pinme-{version}/{name}")
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def local_registry(root: pathlib.Path) -> str:
    """A git-index registry under `root` holding every version in VERSIONS; returns its URL."""
    index, crates = root / "index", root / "crates"
    (index / "pi" / "nm").mkdir(parents=True)
    crates.mkdir()
    (index / "config.json").write_text(json.dumps({"dl": f"file://{crates}/{{crate}}-{{version}}.crate"}))
    lines = []
    for version in VERSIONS:
        data = crate_file(version)
        (crates / f"pinme-{version}.crate").write_bytes(data)
        entry = {"name": "pinme", "vers": version, "deps": [], "features": {}, "yanked": False,
                 "cksum": hashlib.sha256(data).hexdigest()}
        lines.append(json.dumps(entry))
    (index / "pi" / "nm" / "pinme").write_text("\n".join(lines) + "\n")
    git = ["git", "-C", str(index), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(index)], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "index"], check=True)
    return f"file://{index}"


def test_dep_keeps_the_prelude_locked_versions(tmp_path):
    registry = {"CARGO_REGISTRIES_FIXTURE_INDEX": local_registry(tmp_path / "registry")}
    prelude = tmp_path / "prelude"
    shutil.copytree(FIXTURES / "pinned_prelude", prelude)
    # Lock the prelude to the older pinme, as a lockfile written before 1.0.1 appeared would.
    env = {**os.environ, **registry}
    for args in (["generate-lockfile"], ["update", "-p", "pinme", "--precise", "1.0.0"]):
        subprocess.run(["cargo", *args, "-q"], cwd=prelude, env=env, check=True)
    assert 'version = "1.0.0"' in (prelude / "Cargo.lock").read_text()
    dep = tmp_path / "tiny_dep"
    shutil.copytree(FIXTURES / "tiny_dep", dep)

    kernel = Kernel(
        env={**registry, "FAULTLINE_PRELUDE": str(prelude), "FAULTLINE_CACHE_DIR": str(tmp_path / "cache")}
    )
    try:
        reply, outputs = kernel.execute("faultline::prelude::pinme_version()", timeout=300)
        assert reply["content"]["status"] == "ok", reply["content"]
        assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == '"1.0.0"'

        reply, outputs = kernel.execute(
            f':dep tiny_dep = {{ path = "{dep}" }}\n'
            "format!(\"{} {}\", tiny_dep::answer(), faultline::prelude::pinme_version())",
            timeout=300,
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == '"42 1.0.0"'
        # Only the new crate was built: neither pinme nor the prelude was rebuilt.
        progress = [d["data"]["text/plain"] for d in outputs_of(outputs, "display_data")]
        progress += [d["data"]["text/plain"] for d in outputs_of(outputs, "update_display_data")]
        assert progress and progress[-1] == "Compiled 1 crate.", progress
        assert not any("pinme" in line or "faultline" in line for line in progress), progress
    finally:
        kernel.shutdown()
