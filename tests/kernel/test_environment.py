"""The kernel starts wherever Jupyter starts it: with a minimal environment and an empty HOME
(as a JupyterHub spawner or a service account does) it finds the toolchain its kernelspec
records and answers a prelude cell warm; without any toolchain, every cell says what is missing,
where the kernel looked and the command that fixes it."""

from __future__ import annotations

import re

from conftest import Kernel, outputs_of

MINIMAL_PATH = "/usr/bin:/bin"


def test_minimal_environment_finds_the_recorded_toolchain_warm(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    log_path = tmp_path / "kernel.log"
    with open(log_path, "w") as log:
        kernel = Kernel(launch_env={"HOME": str(home), "PATH": MINIMAL_PATH}, log=log)
    try:
        reply, outputs = kernel.execute(
            "Sim::new(Net::new().loss(0.1)).node(|_| Server::new())"
            ".client(|_| RetryClient::new(20).attempts(3).timeout(ms(50))).run(1).ok_rate() > 0.5",
            timeout=300,
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == "true"
    finally:
        kernel.shutdown()
    log = log_path.read_text()
    # Warm: the prelude and its dependencies came from the build cache, nothing was compiled
    # but the cells; and nothing was written to the empty HOME.
    compiled = set(re.findall(r"Compiling (\S+) v", log)) - {"ctx"}
    assert not compiled, f"compiled {sorted(compiled)}:\n{log}"
    assert "prelude loaded" in log, log
    assert not any(home.iterdir()), list(home.iterdir())


def test_without_a_toolchain_every_cell_says_why(tmp_path):
    missing = tmp_path / "no-such-toolchain"
    kernel = Kernel(
        env={"FAULTLINE_TOOLCHAIN": str(missing), "FAULTLINE_CACHE_DIR": str(tmp_path / "cache")},
        launch_env={"HOME": str(tmp_path), "PATH": MINIMAL_PATH},
    )
    try:
        for _ in range(2):
            reply, _ = kernel.execute("1 + 1", timeout=60)
            content = reply["content"]
            assert content["status"] == "error"
            message = content["evalue"]
            assert "Rust toolchain not found" in message, message
            assert "cannot run `rustc`" in message, message
            assert f"{missing}/bin" in message and MINIMAL_PATH in message, message
            assert "faultline-kernel install" in message, message
            assert "No such file or directory (os error 2)" != message
    finally:
        kernel.shutdown()
