"""A pytest plugin (``-p timing_plugin``) that prints how long each notebook took to run, and
flags the ones over the 30-second budget of a warm run on 2 cores.

Budget overruns are reported, not failed: a cold build cache (the first run on a machine) is
legitimately slower, and CI machines vary.
"""

import os

BUDGET_S = float(os.environ.get("FAULTLINE_NOTEBOOK_BUDGET_S", "30"))
_times = {}


def pytest_runtest_logreport(report):
    if report.when == "call":
        _times[report.nodeid] = (report.duration, report.outcome)


def pytest_terminal_summary(terminalreporter):
    if not _times:
        return
    tr = terminalreporter
    tr.section("notebook run times")
    for nodeid, (seconds, outcome) in sorted(_times.items()):
        name = nodeid.split("::")[0].rsplit("/", 1)[-1]
        flag = "  over budget" if seconds > BUDGET_S else ""
        tr.write_line(f"{name:<32} {seconds:6.1f} s  {outcome}{flag}")
    total = sum(s for s, _ in _times.values())
    tr.write_line(f"{'total':<32} {total:6.1f} s  (budget {BUDGET_S:.0f} s per notebook, warm)")
