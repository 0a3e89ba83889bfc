"""Kernel latency benchmark, driven through jupyter_client like a notebook front end.

For each kernel: start → kernel_info reply, start → result of the first cell (which uses the
prelude, so it includes loading it), the median latency of a trivial cell, the latency of the
session's first `let` (where evcxr types a variable), and the resident memory of the kernel's
whole process tree once idle. Runs the
Faultline kernel, and evcxr_jupyter side by side when its kernelspec ("rust") is installed.
Run via bench/kernel.sh (which sets Jupyter up like the tests); results also go to
build/bench/kernel.json.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import time

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import KernelManager

ROOT = pathlib.Path(__file__).resolve().parents[1]


def reply_to(kc, msg_id: str, timeout: float, channel: str = "shell") -> dict:
    get = kc.get_shell_msg if channel == "shell" else kc.get_control_msg
    deadline = time.monotonic() + timeout
    while True:
        msg = get(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def tree_rss_mib(pid: int) -> dict[str, float]:
    """Resident memory (MiB) of a process and all its descendants, by process name."""
    children: dict[int, list[int]] = {}
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    usage: dict[str, float] = {}
    todo = [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            status = pathlib.Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss = int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
        name = fields["Name"].strip()
        usage[name] = usage.get(name, 0.0) + rss
    return usage


def one_session(kernel: str, first_cell: str, trivial: str, repeats: int) -> dict:
    """Times one kernel start and its cells; every cell must succeed."""
    km = KernelManager(kernel_name=kernel)
    start = time.monotonic()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        info = reply_to(kc, kc.kernel_info(), 120)
        info_at = time.monotonic() - start
        first = reply_to(kc, kc.execute(first_cell), 900)
        first_at = time.monotonic() - start
        if first["content"]["status"] != "ok":
            raise SystemExit(f"{kernel}: first cell failed: {first['content']}")
        latencies = []
        for _ in range(repeats):
            sent = time.monotonic()
            reply = reply_to(kc, kc.execute(trivial), 120)
            latencies.append(time.monotonic() - sent)
            assert reply["content"]["status"] == "ok", reply["content"]
        sent = time.monotonic()
        reply = reply_to(kc, kc.execute("let first_total = 40 + 2;"), 120)
        first_let = time.monotonic() - sent
        assert reply["content"]["status"] == "ok", reply["content"]
        time.sleep(1)  # idle
        memory = tree_rss_mib(km.provisioner.process.pid)
        return {
            "tree_rss_mib": sum(memory.values()),
            "rss_by_process_mib": memory,
            "implementation": info["content"].get("implementation"),
            "kernel_info_s": info_at,
            "first_cell_s": first_at,
            "trivial_cell_median_s": statistics.median(latencies),
            "first_let_s": first_let,
        }
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def installed(kernel: str) -> bool:
    try:
        KernelSpecManager().get_kernel_spec(kernel)
        return True
    except NoSuchKernel:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=5, help="kernel starts per kernel")
    parser.add_argument("--cells", type=int, default=15, help="trivial cells per session")
    parser.add_argument("--first-cell", default="ms(250)", help="a cell using the prelude")
    parser.add_argument("--kernel", default="faultline")
    parser.add_argument("--evcxr-kernel", default="rust", help="evcxr_jupyter's kernelspec")
    args = parser.parse_args()

    runs = {args.kernel: args.first_cell}
    if installed(args.evcxr_kernel):
        runs[args.evcxr_kernel] = args.first_cell
    else:
        print(f"(evcxr_jupyter kernelspec '{args.evcxr_kernel}' not installed: not measured)")
    # Sessions alternate between kernels, so load on the machine affects both alike.
    sessions = {kernel: [] for kernel in runs}
    for _ in range(args.sessions):
        for kernel, first_cell in runs.items():
            sessions[kernel].append(one_session(kernel, first_cell, "1 + 1", args.cells))
    results = {}
    for kernel, first_cell in runs.items():
        results[kernel] = {
            key: statistics.median(s[key] for s in sessions[kernel])
            for key in ("kernel_info_s", "first_cell_s", "trivial_cell_median_s", "first_let_s",
                        "tree_rss_mib")
        } | {"sessions": sessions[kernel], "first_cell": first_cell}

    print(
        f"{'kernel':<14}{'start→kernel_info':>19}{'start→first cell':>18}{'trivial cell':>14}"
        f"{'first let':>11}{'tree RSS idle':>15}"
    )
    for kernel, r in results.items():
        print(
            f"{kernel:<14}{r['kernel_info_s']:>18.2f}s{r['first_cell_s']:>17.2f}s"
            f"{r['trivial_cell_median_s']:>13.3f}s{r['first_let_s']:>10.2f}s"
            f"{r['tree_rss_mib']:>10.0f} MiB"
        )
        print(f"{'':<14}by process: {r['sessions'][-1]['rss_by_process_mib']}")
    print(f"(medians over {args.sessions} sessions; trivial cell = median of {args.cells} `1 + 1`)")
    out = ROOT / "build" / "bench" / "kernel.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
