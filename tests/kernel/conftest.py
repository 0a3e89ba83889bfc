"""Shared fixtures: a running Faultline kernel and a helper that runs a cell and collects every
iopub message it caused, in order."""

from __future__ import annotations

import os
import queue
import time

import pytest
from jupyter_client.manager import KernelManager

KERNEL_NAME = os.environ.get("FAULTLINE_KERNEL_NAME", "faultline")
# The first cell waits for the prelude; on a cold cache that is a full compile.
WARM_TIMEOUT = 600


class Kernel:
    """A kernel process plus a blocking client, with helpers for whole-request exchanges."""

    def __init__(self, env: dict[str, str] | None = None, log=None, launch_env=None,
                 kernel_name: str = KERNEL_NAME) -> None:
        """`env`: added to the kernelspec's env. `log`: an open file that receives the kernel's
        stderr (its server log). `launch_env`: the whole environment Jupyter starts the kernel
        in (before the kernelspec's env), instead of this process's. `kernel_name`: the
        kernelspec."""
        self.km = KernelManager(kernel_name=kernel_name)
        if env:
            self.km.kernel_spec.env.update(env)
        options = {"stderr": log} if log else {}
        if launch_env is not None:
            options["env"] = launch_env
        self.km.start_kernel(**options)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def shutdown(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)

    def execute(self, code: str, timeout: float = 60, **options) -> tuple[dict, list[dict]]:
        """Runs a cell; returns its reply and the iopub messages (but status) it caused."""
        msg_id = self.kc.execute(code, **options)
        return self.reply_and_outputs(msg_id, timeout)

    def reply_and_outputs(self, msg_id: str, timeout: float = 60) -> tuple[dict, list[dict]]:
        outputs = self.outputs_until_idle(msg_id, timeout)
        return self.shell_reply(msg_id, timeout), outputs

    def outputs_until_idle(self, msg_id: str, timeout: float = 60) -> list[dict]:
        deadline = time.monotonic() + timeout
        outputs = []
        while True:
            msg = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status":
                if msg["content"]["execution_state"] == "idle":
                    return outputs
                continue
            outputs.append(msg)

    def shell_reply(self, msg_id: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            reply = self.kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply

    def interrupt_after(self, code: str, delay: float, timeout: float = 60) -> tuple[dict, float]:
        """Starts a cell, interrupts it after `delay` seconds; returns its reply's content and
        the seconds from the interrupt to the reply."""
        msg_id = self.kc.execute(code)
        time.sleep(delay)
        started = time.monotonic()
        self.km.interrupt_kernel()
        reply = self.shell_reply(msg_id, timeout=timeout)
        return reply["content"], time.monotonic() - started

    def flush_iopub(self) -> None:
        while True:
            try:
                self.kc.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                return

    def warm(self) -> None:
        """Waits for the prelude to load (the first cell waits for it)."""
        reply, _ = self.execute("1", timeout=WARM_TIMEOUT)
        assert reply["content"]["status"] == "ok", reply["content"]


def outputs_of(outputs: list[dict], msg_type: str) -> list[dict]:
    return [m["content"] for m in outputs if m["msg_type"] == msg_type]


def stream_text(outputs: list[dict], name: str) -> str:
    return "".join(c["text"] for c in outputs_of(outputs, "stream") if c["name"] == name)


@pytest.fixture(scope="module")
def kernel():
    k = Kernel()
    k.warm()
    yield k
    k.shutdown()
