"""Output floods and slow clients: a cell's output is capped (and what was dropped is said), the
kernel's memory stays bounded, and a subscriber that stops reading slows nobody else."""

import pathlib
import threading
import time

import zmq
from conftest import Kernel, outputs_of, stream_text

# About 60 MB of stdout, printed as fast as the child can.
FLOOD = 'for i in 0..2_000_000u32 { println!("flood line {i:>10} ............................"); }'
STREAM_CAP = 2_000_000
# The kernel holds ~0.5 GB once warm; the flood may add buffers, not the flood itself.
RSS_GROWTH_LIMIT = 150 << 20


def rss(pid: int) -> int:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class PeakRss(threading.Thread):
    """Samples a process's resident memory every 20 ms until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stopped = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.peak = max(self.peak, rss(self.pid))
            except (OSError, RuntimeError):
                return
            time.sleep(0.02)


def test_output_flood_is_capped_and_memory_stays_bounded(kernel):
    pid = kernel.km.provisioner.process.pid
    kernel.execute('println!("warm");')
    before = rss(pid)
    sampler = PeakRss(pid)
    sampler.start()
    started = time.monotonic()
    reply, outputs = kernel.execute(FLOOD, timeout=120)
    elapsed = time.monotonic() - started
    sampler.stopped.set()
    sampler.join()
    growth = sampler.peak - before
    print(f"kernel RSS {before >> 20} MiB before, peak {sampler.peak >> 20} MiB; {elapsed:.1f} s")
    assert reply["content"]["status"] == "ok", reply["content"]
    assert growth < RSS_GROWTH_LIMIT, f"kernel grew by {growth >> 20} MiB under the flood"
    shown = stream_text(outputs, "stdout")
    assert 0 < len(shown) <= STREAM_CAP
    note = stream_text(outputs, "stderr")
    assert "MB of output dropped" in note, note
    # The next cell's output is its own.
    reply, outputs = kernel.execute('println!("after the flood");')
    assert stream_text(outputs, "stdout") == "after the flood\n"


def test_an_idle_subscriber_slows_nobody():
    """A second iopub subscriber that never reads: the other client still gets its replies and
    outputs (ZMQ PUB semantics drop messages for the slow subscriber instead)."""
    kernel = Kernel()
    idle = zmq.Context.instance().socket(zmq.SUB)
    try:
        kernel.warm()
        info = kernel.km.get_connection_info()
        idle.setsockopt(zmq.RCVHWM, 1)
        idle.setsockopt(zmq.RCVBUF, 4096)
        idle.setsockopt(zmq.SUBSCRIBE, b"")
        idle.linger = 0
        idle.connect(f"{info['transport']}://{info['ip']}:{info['iopub_port']}")
        time.sleep(0.5)  # let the subscription arrive
        for _ in range(3):
            reply, _ = kernel.execute(FLOOD, timeout=60)
            assert reply["content"]["status"] == "ok"
        started = time.monotonic()
        reply, outputs = kernel.execute("6 * 7", timeout=30)
        assert outputs_of(outputs, "execute_result")[0]["data"]["text/plain"] == "42"
        assert time.monotonic() - started < 10
        assert kernel.km.is_alive()
    finally:
        idle.close()
        kernel.shutdown()
