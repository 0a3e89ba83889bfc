"""Checks on notebooks *after* they ran (the copies nbmake executed in place under
build/notebooks/executed/): every notebook drew at least one plot, and no cell reported an error.

Run by scripts/test.d/40-notebooks.sh after the nbmake step; point it elsewhere with
FAULTLINE_EXECUTED=DIR.
"""

import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXECUTED = Path(os.environ.get("FAULTLINE_EXECUTED", ROOT / "build" / "notebooks" / "executed"))
SOURCES = sorted((ROOT / "notebooks").glob("*.ipynb"))
IMAGES = ("image/svg+xml", "image/png")


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_executed_notebook_has_plots_and_no_errors(source):
    path = EXECUTED / source.name
    assert path.exists(), f"{path} missing: run the nbmake step first"
    nb = nbformat.read(path, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors, f"{source.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    images = [o for o in outputs if any(m in o.get("data", {}) for m in IMAGES)]
    assert images, f"{source.name}: executed without producing a single plot"
    unrun = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and not c.get("execution_count")]
    assert not unrun, f"{source.name}: cells {unrun} were never executed"
