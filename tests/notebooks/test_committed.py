"""Every committed notebook is clean: no outputs, no execution counts, the Faultline kernelspec.

Outputs in a committed notebook go stale, bloat diffs and are untrusted when opened (their SVG
plots would not even render), so notebooks are committed bare and executed in CI instead.
"""

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNELSPEC = {"name": "faultline", "display_name": "Rust (Faultline)", "language": "rust"}


def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks under {ROOT / 'notebooks'}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec") == KERNELSPEC, f"{path.name}: kernelspec"
    assert nb.metadata.get("language_info", {}).get("name") == "rust", f"{path.name}: language_info"
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; clear them before committing"
    assert any(c.cell_type == "code" for c in nb.cells), f"{path.name}: no code cells"
