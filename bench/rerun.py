"""Cell latency of ordinary cells and of re-run definitions, driven through jupyter_client.

Medians over `--repeat` runs, per kernelspec named on the command line (e.g. this branch's
kernel and a baseline's, run side by side, taking turns): a trivial cell, a small simulation cell (an expression, no `let`),
a struct cell re-run unchanged, and an `impl` cell re-run ("nan" where the cell fails). Not part of CI; run with the
project's Jupyter set up (`source scripts/lib/common.sh; ensure_venv; isolate_jupyter`):
`python bench/rerun.py faultline [faultline-base]`. A baseline kernelspec is a copy of
`faultline`'s kernel.json whose argv names the other build and whose `FAULTLINE_CACHE_DIR` is
its own (warm it with `FAULTLINE_CACHE_DIR=… FAULTLINE_PRELUDE=… <kernel> warm`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

sys.path.insert(0, "tests/kernel")
from conftest import Kernel  # noqa: E402

SETUP = [
    "#[derive(Clone, Debug)]\nenum Msg { Put(u64), Ack(u64) }",
    "struct Replica { value: u64 }",
]
CELLS = {
    "trivial cell (1 + 1)": "1 + 1",
    "small sim cell": (
        "Sim::new(Net::new()).node(|_| Replica { value: 0 })\n"
        "    .client(|_| FnNode::new((), |_, ctx: &mut Ctx<Msg>, _, _| ctx.record(\"ack\", 1.0))\n"
        "        .on_start(|_, ctx| ctx.send(0, Msg::Put(1))))\n"
        "    .run(1).observed(\"ack\").count()"
    ),
    "struct re-run": "struct Replica { value: u64 }",
    "impl re-run": (
        "impl Node<Msg> for Replica {\n"
        "    fn on_message(&mut self, ctx: &mut Ctx<Msg>, from: NodeId, msg: Msg) {\n"
        "        if let Msg::Put(v) = msg { self.value = v; ctx.send(from, Msg::Ack(v)) }\n"
        "    }\n"
        "}"
    ),
}


def timed(kernel: Kernel, code: str) -> float:
    """Seconds the cell took; NaN if it failed (a baseline cannot re-run an impl)."""
    started = time.monotonic()
    reply, _ = kernel.execute(code, timeout=300)
    elapsed = time.monotonic() - started
    return elapsed if reply["content"]["status"] == "ok" else float("nan")


def measure(names: list[str], repeat: int) -> dict[str, dict[str, float]]:
    """Medians per kernel. The kernels run side by side and take turns cell by cell, so a busy
    machine slows them alike."""
    kernels = {name: Kernel(kernel_name=name) for name in names}
    try:
        for kernel in kernels.values():
            kernel.warm()
            for code in SETUP:
                timed(kernel, code)
        # The impl first, so the sim cell compiles; one untimed round warms the build.
        order = ["impl re-run", "trivial cell (1 + 1)", "small sim cell", "struct re-run"]
        samples = {name: {label: [] for label in order} for name in names}
        for round_ in range(repeat + 1):
            for label in order:
                for name, kernel in kernels.items():
                    elapsed = timed(kernel, CELLS[label])
                    if round_ > 0:
                        samples[name][label].append(elapsed)
        return {
            name: {label: statistics.median(values) for label, values in by_label.items()}
            for name, by_label in samples.items()
        }
    finally:
        for kernel in kernels.values():
            kernel.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kernels", nargs="+", help="kernelspec names")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    results = measure(args.kernels, args.repeat)
    print(f"{'median seconds':<24}" + "".join(f"{name:>16}" for name in args.kernels))
    for label in CELLS:
        print(f"{label:<24}" + "".join(f"{results[n][label]:>16.3f}" for n in args.kernels))


if __name__ == "__main__":
    main()
