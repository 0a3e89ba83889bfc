"""Interactive-output latency, driven through jupyter_client exactly as JupyterLab's widget
manager drives a slider: from sending the `comm_msg` update to the new figure
(`update_display_data`) on iopub, for a 1,000-trial sweep of a 5-node experiment (one server,
four retrying clients). Counts the rustc and cargo processes that start meanwhile (the goal is
none), and measures the baseline: editing the value in the cell and running it again.
Run via bench/widgets.sh; results also go to build/bench/widgets.json.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys
import time

from jupyter_client.manager import KernelManager

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "kernel"))
from compilers import Compilers  # noqa: E402

# One server and four retrying clients; a 1,000-trial sweep at one loss rate.
SWEEP = """{
    let net = || Net::new().delay(Delay::exponential(5.0).plus(1.0));
    let sim = Sim::new(net()).node(|_| Server::new())
        .clients(4, |_| RetryClient::new(5).attempts(3).timeout(ms(50)));
    sweep("loss", [LOSS]).trials(1000).quiet().simulate(
        |&loss| sim.clone().net(net().loss(loss)),
        |run| [("ok", run.ok_rate()), ("msgs/op", run.msgs_per_op())],
    )
}"""
# The interactive cell, and the baseline: the same sweep edited and run again as a cell.
INTERACTIVE = ("interact(ui::slider(\"loss\", 0.0..=0.5, 0.1).step(0.001), |loss: f64| "
               + SWEEP.replace("LOSS", "loss") + ")")
TRIVIAL = 'interact(ui::slider("x", 0.0..=1.0, 0.5), |x: f64| format!("x = {x}"))'


def until_idle(kc, msg_id: str, timeout: float = 600) -> list[dict]:
    deadline = time.monotonic() + timeout
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return outputs
        outputs.append(msg)


def run_cell(kc, code: str) -> list[dict]:
    outputs = until_idle(kc, kc.execute(code))
    errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
    if errors:
        raise SystemExit(f"cell failed: {errors[0]['evalue']}")
    return outputs


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def shown(kc, cell: str) -> tuple[str, str]:
    """Runs `cell` (one interactive slider); returns the slider's comm id and the figure's
    display id."""
    outputs = run_cell(kc, cell)
    states = {m["content"]["comm_id"]: m["content"]["data"]["state"]
              for m in outputs if m["msg_type"] == "comm_open"}
    slider = next(cid for cid, s in states.items() if s["_model_name"] == "FloatSliderModel")
    display_id = next(m["content"]["transient"]["display_id"] for m in outputs
                      if m["msg_type"] == "display_data"
                      and m["content"]["transient"].get("display_id"))
    return slider, display_id


def latencies_of_changes(kc, slider: str, display_id: str, changes: int) -> list[float]:
    """Moves the slider `changes` times; returns the milliseconds from each comm_msg to its new
    figure on iopub."""
    latencies = []
    for i in range(changes):
        value = round(0.005 * (i % 100 + 1), 3)
        data = {"method": "update", "state": {"value": value}, "buffer_paths": []}
        msg = kc.session.msg("comm_msg", {"comm_id": slider, "data": data})
        started = time.perf_counter()
        kc.shell_channel.send(msg)
        if not any(out["msg_type"] == "update_display_data"
                   and out["content"]["transient"]["display_id"] == display_id
                   for out in until_idle(kc, msg["header"]["msg_id"], timeout=60)):
            raise SystemExit(f"change {i}: no new figure")
        latencies.append(1000 * (time.perf_counter() - started))
        time.sleep(0.02)
    return latencies


def summary(latencies: list[float]) -> dict:
    return {"changes": len(latencies), "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(percentile(latencies, 95), 1), "max_ms": round(max(latencies), 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=60)
    parser.add_argument("--baseline", type=int, default=5, help="cell re-runs to time")
    args = parser.parse_args()
    km = KernelManager(kernel_name="faultline")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    try:
        kernel = km.provisioner.process.pid
        slider, display_id = shown(kc, INTERACTIVE)
        with Compilers(kernel) as compilers:
            sweep_latencies = latencies_of_changes(kc, slider, display_id, args.changes)
        # The channel's own cost: a closure that only formats its value.
        overhead = latencies_of_changes(kc, *shown(kc, TRIVIAL), args.changes)
        baseline = []
        with Compilers(kernel) as baseline_compilers:
            for i in range(args.baseline):
                started = time.perf_counter()
                run_cell(kc, SWEEP.replace("LOSS", f"{0.1 + 0.01 * i}"))
                baseline.append(1000 * (time.perf_counter() - started))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    result = {
        "sweep_1000_trials_5_nodes": summary(sweep_latencies),
        "compiler_processes_during_changes": len(compilers.seen),
        "trivial_closure": summary(overhead),
        "baseline_rerun_cell": {
            "runs": len(baseline),
            "p50_ms": round(statistics.median(baseline), 1),
            "max_ms": round(max(baseline), 1),
            "compiler_processes": len(baseline_compilers.seen),
        },
        "cores": os.cpu_count(),
    }
    print(json.dumps(result, indent=1))
    out = ROOT / "build" / "bench" / "widgets.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
