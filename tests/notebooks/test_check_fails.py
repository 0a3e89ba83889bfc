"""A check cell fails loudly when the output it guards changes (issue 14 §3).

Runs notebook 00 on the Faultline kernel with one input changed — the first experiment's loss
set to zero, so seed 7 brings back all five pongs instead of the two the text quotes — and
requires the run to stop with an error in the hidden check cell that guards that sentence,
naming the quoted words. Run by scripts/test.d/40-notebooks.sh after the kernel is installed.
"""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[2]
KERNEL = os.environ.get("FAULTLINE_KERNEL_NAME", "faultline")
ORIGINAL = "let run = ping_sim(0.2).run(7);"
CHANGED = "let run = ping_sim(0.0).run(7);"


def test_a_changed_result_fails_its_check_cell(tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / "00-welcome.ipynb", as_version=4)
    target = [c for c in nb.cells if c.cell_type == "code" and ORIGINAL in c.source]
    assert len(target) == 1, f"notebook 00 no longer has {ORIGINAL!r}: update this test"
    target[0].source = target[0].source.replace(ORIGINAL, CHANGED)
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=300, resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellExecutionError):
        client.execute()
    failed = [c for c in nb.cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert len(failed) == 1, "exactly one cell should fail"
    assert "check" in failed[0].metadata.get("tags", []), f"the failing cell is not a check: {failed[0].source}"
    error = next(o for o in failed[0].outputs if o.output_type == "error")
    message = error.evalue + "\n".join(error.traceback)
    assert "2 of the 5 pongs" in message, message
    assert "this run gives 5" in message, message
