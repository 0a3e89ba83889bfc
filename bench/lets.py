"""Top-level `let`s and interrupts, timed through jupyter_client like a notebook front end.

For each size N (a fresh kernel each): the cell `let v0 = 0u64; let v1 = v0 + 1; …` with N
lets (rust-analyzer infers each type), then a trivial cell and a one-`let` cell in the same
session (both load and store all N variables). Then the time from an interrupt to its reply,
while rust-analyzer types a cell and while rustc compiles one, and the next cell after each.
Run via bench/lets.sh; `--kernel faultline-main` (a kernelspec of another build) compares.
Results also go to build/bench/lets.json.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "kernel"))
from conftest import Kernel  # noqa: E402


def chain(count: int) -> str:
    lines = ["let v0 = 0u64;"] + [f"let v{i} = v{i - 1} + 1;" for i in range(1, count)]
    return "\n".join(lines)


def timed(kernel: Kernel, code: str, timeout: float) -> tuple[float, dict]:
    started = time.monotonic()
    reply, _ = kernel.execute(code, timeout=timeout)
    return time.monotonic() - started, reply["content"]


def lets(kernel_name: str, count: int, timeout: float) -> dict:
    kernel = Kernel(kernel_name=kernel_name)
    try:
        kernel.warm()
        cell_s, content = timed(kernel, chain(count), timeout)
        row = {"lets": count, "cell_s": cell_s, "status": content["status"],
               "ename": content.get("ename")}
        row["trivial_after_s"], _ = timed(kernel, "1 + 1", timeout)
        row["one_let_after_s"], after = timed(kernel, "let after = 1u8;", timeout)
        row["one_let_after"] = after["status"] if after["status"] == "ok" else after["ename"]
        return row
    finally:
        kernel.shutdown()


# While rust-analyzer types `z` (it infers the whole cell), and while rustc compiles a block.
SLOW_TYPING = "let z = 1u64;\n" + "\n".join("faultline_keep_static(z);" for _ in range(3000))
SLOW_COMPILE = "{\nlet mut v = Vec::new();\n" + "\n".join(
    f'v.push(format!("{{:?}}", ({i}, [{i}u8; 3], vec![Some({i})], ("{i}", {i}.5))));'
    for i in range(3000)
) + "\nv.len()\n};"


def interrupt(kernel_name: str, what: str, code: str, after: float) -> dict:
    kernel = Kernel(kernel_name=kernel_name)
    try:
        kernel.warm()
        kernel.execute("let kept: i32 = 41;")
        kernel.execute("fn faultline_keep_static<T: 'static>(_: T) {}")
        reply, latency = kernel.interrupt_after(code, after, timeout=900)
        kernel.flush_iopub()
        next_s, content = timed(kernel, "kept + 1", 900)
        return {"during": what, "interrupt_to_reply_s": latency, "ename": reply.get("ename"),
                "evalue": reply.get("evalue", "")[:80], "next_cell_s": next_s,
                "variables_kept": content["status"] == "ok"}
    finally:
        kernel.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kernel", default="faultline")
    parser.add_argument("--sizes", default="250,1000,2000,20000",
                        help="numbers of lets, comma-separated")
    parser.add_argument("--timeout", type=float, default=1800, help="per cell, seconds")
    args = parser.parse_args()

    rows = [lets(args.kernel, int(n), args.timeout) for n in args.sizes.split(",")]
    print(f"{'lets':>6}{'cell':>10}  {'result':<18}{'then 1 + 1':>12}{'then one let':>14}")
    for r in rows:
        result = r["status"] if r["status"] == "ok" else r["ename"]
        print(f"{r['lets']:>6}{r['cell_s']:>9.2f}s  {result:<18}{r['trivial_after_s']:>11.2f}s"
              f"{r['one_let_after_s']:>13.2f}s {r['one_let_after']}")

    interrupts = [interrupt(args.kernel, "type inference", SLOW_TYPING, 1.5),
                  interrupt(args.kernel, "rustc", SLOW_COMPILE, 1.0)]
    print(f"\n{'interrupt during':<18}{'to reply':>10}{'next cell':>11}  variables kept")
    for r in interrupts:
        print(f"{r['during']:<18}{r['interrupt_to_reply_s']:>9.2f}s{r['next_cell_s']:>10.2f}s"
              f"  {r['variables_kept']}")
    out = ROOT / "build" / "bench" / "lets.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"kernel": args.kernel, "lets": rows, "interrupts": interrupts},
                              indent=1))


if __name__ == "__main__":
    main()
