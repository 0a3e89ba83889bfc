"""Counting the compiler processes (rustc, cargo) a kernel starts: shared by the widget tests
and bench/widgets.py."""

from __future__ import annotations

import os
import pathlib
import threading
import time


class Compilers:
    """Records every rustc or cargo process started under the kernel `root` (a process id)
    while open. /proc is polled every 10 ms: any compile lasts far longer."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.seen: set[tuple[int, str]] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "Compilers":
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.is_set():
            for pid in os.listdir("/proc"):
                if pid.isdigit() and _comm(int(pid)) in ("rustc", "cargo"):
                    if self._descends(int(pid)):
                        self.seen.add((int(pid), _comm(int(pid))))
            time.sleep(0.01)

    def _descends(self, pid: int) -> bool:
        while pid > 1:
            if pid == self.root:
                return True
            try:
                stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
                pid = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                return False
        return False


def _comm(pid: int) -> str:
    try:
        return pathlib.Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""
