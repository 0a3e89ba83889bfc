"""The prose of every notebook is checked against its output (issue 14 §3).

A number the text quotes from a run is asserted by a *check cell*: a code cell tagged `check`,
hidden from the learner (`jupyter.source_hidden`), that calls `prose::says` / `about` /
`between` with the text's own words. When the notebooks execute in CI, a check whose number no
longer matches the output panics and fails the notebook. This static test keeps the other half
honest: every check cell is hidden, tagged and asserts something, and every phrase it quotes
really stands in the notebook's markdown — so editing the sentence without the check, or the
check without the sentence, fails here.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Notebooks whose prose quotes no number from its own output, each with the reason; every other
# notebook must carry check cells. (Empty: every notebook has them.)
UNCHECKED: dict[str, str] = {}
QUOTE = re.compile(r'prose::(?:says|about|between)\(\s*"((?:[^"\\]|\\.)*)"')


def squash(text):
    return re.sub(r"\s+", " ", text)


def check_cells(nb):
    return [c for c in nb.cells if "check" in c.metadata.get("tags", [])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_check_cells_are_hidden_and_assert_something(path):
    nb = nbformat.read(path, as_version=4)
    for cell in check_cells(nb):
        where = f"{path.name} cell {cell.get('id')}"
        assert cell.cell_type == "code", f"{where}: a check cell must be code"
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, f"{where}: hide it"
        assert cell.source.startswith("//"), f"{where}: start with a comment saying what it checks"
        assert "prose::" in cell.source or "assert" in cell.source, f"{where}: asserts nothing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_quote_in_a_check_stands_in_the_text(path):
    nb = nbformat.read(path, as_version=4)
    markdown = squash(" ".join(c.source for c in nb.cells if c.cell_type == "markdown"))
    for cell in check_cells(nb):
        for quote in QUOTE.findall(cell.source):
            assert squash(quote) in markdown, (
                f"{path.name} cell {cell.get('id')} checks {quote!r}, which no markdown cell says: "
                "the text changed without its check (or the check quotes it wrongly)"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_check_cells(path):
    nb = nbformat.read(path, as_version=4)
    if path.name in UNCHECKED:
        return
    cells = check_cells(nb)
    assert cells, f"{path.name}: no check cells; its prose is not checked against its output"
    assert any(QUOTE.search(c.source) for c in cells), f"{path.name}: no check quotes the text"


def test_exemptions_name_real_notebooks():
    names = {p.name for p in NOTEBOOKS}
    assert set(UNCHECKED) <= names, f"stale exemptions: {set(UNCHECKED) - names}"
