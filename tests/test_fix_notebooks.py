"""Validate the notebook-level fix benchmark data (``opencodeinterpreter_lab/bench/notebook_cases``), without any model.

Each notebook is run top to bottom in a fresh kernel, in its own temporary working directory, twice: as stored, where
it must break (every cell carrying a ``bench.solution`` reference fix fails on its own, the other failures are
``NameError`` cascades, and enough cells still pass), and with every reference solution applied, where it must run
without a single error.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest

nbclient = pytest.importorskip("nbclient")

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "opencodeinterpreter_lab" / "bench" / "notebook_cases"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
MIN_CELLS, MAX_CELLS = 10, 30
MIN_PASSING = 6


def _solution(cell: Any) -> str | None:
    bench = cell.get("metadata", {}).get("bench", {})
    solution = bench.get("solution")
    return solution if isinstance(solution, str) else None


def _errors(cell: Any) -> list[Any]:
    return [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]


def _run(nb: Any, path: Path, workdir: Path) -> Any:
    """Run a copy of ``nb`` top to bottom in a fresh kernel with ``workdir`` (holding a copy of the file) as cwd."""
    workdir.mkdir()
    shutil.copy(path, workdir / path.name)
    executed = copy.deepcopy(nb)
    client = nbclient.NotebookClient(
        executed, timeout=60, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(workdir)}}
    )
    client.execute()
    return executed


def test_there_are_a_dozen_notebooks() -> None:
    assert len(NOTEBOOKS) >= 12, f"only {len(NOTEBOOKS)} notebooks in {NOTEBOOK_DIR}"
    assert all(p.name[:2].isdigit() and p.name[2] == "-" for p in NOTEBOOKS), "names must be NN-short-slug.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata["language_info"]["name"] == "python"
    assert MIN_CELLS <= len(nb.cells) <= MAX_CELLS, f"{len(nb.cells)} cells"
    assert any(cell.cell_type == "markdown" for cell in nb.cells)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert "import " in code[0].source, "the first code cell should hold the imports"
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, "notebooks are stored without outputs"
        solution = _solution(cell)
        if solution is not None:
            assert solution.strip() and solution != cell.source, "a reference solution must change the cell"
    assert any(_solution(cell) is not None for cell in code), "no cell carries a bench.solution"
    for cell in nb.cells:
        if cell.cell_type != "code":
            assert "bench" not in cell.get("metadata", {}), "only code cells carry solutions"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_breaks_and_its_solutions_fix_it(path: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    marked = {i for i in code if _solution(nb.cells[i]) is not None}

    original = _run(nb, path, tmp_path / "original")
    failing = {i for i in code if _errors(original.cells[i])}
    assert failing, "the notebook runs clean as stored"
    assert marked <= failing, f"cells with a solution that do not fail as stored: {sorted(marked - failing)}"
    for i in sorted(failing - marked):
        names = [out.get("ename") for out in _errors(original.cells[i])]
        assert names == ["NameError"], f"cell {i} fails with {names} but has no solution (only cascades may)"
    passing = len(code) - len(failing)
    assert passing >= MIN_PASSING, f"only {passing} code cells pass as stored"

    fixed = copy.deepcopy(nb)
    for i in marked:
        fixed.cells[i].source = _solution(fixed.cells[i])
    repaired = _run(fixed, path, tmp_path / "fixed")
    still = {
        i: [f"{out.get('ename')}: {out.get('evalue')}" for out in _errors(repaired.cells[i])]
        for i in code
        if _errors(repaired.cells[i])
    }
    assert not still, f"errors with every solution applied: {still}"
