"""Headless fixing of a whole notebook, judged by fresh kernels so that it never makes a notebook worse.

1. A fresh kernel runs the notebook as it is, top to bottom, every cell (an error does not stop the run): which
   cells fail *before*.
2. A second kernel runs it again, and each failing cell goes through the fix loop (the same ``fix_cell`` as the
   panel, its candidates tried in forked copies of this kernel where one can be made); a passing fix replaces the
   cell before the run goes on. A cell knocked out by one above that still fails
   (a ``NameError`` for a name that cell was to set) is left alone: fixing it could only make the data up.
3. The verdict: a fresh kernel runs the fixed notebook top to bottom. A fixed cell that fails there (it passed only on
   what the failed original had left in the kernel), or a cell that passed before and fails now (a regression), gets
   a fix withdrawn — the fixed cell itself, or the last fix above the regression — and the run is repeated until
   neither happens. The outputs written are those of this last fresh run; it decides the exit code.

A fix that repairs an earlier cell's definitions is made in that cell (see ``causefix.py``): the earlier cell gets
the repair, the failing cell keeps its own source; withdrawing such a fix restores both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..engine.base import Engine
from .causefix import CauseFix, fix_in_cause
from .cells import cause_cell, defined_names
from .execution import ExecutionResult, KernelExecutor
from .fixer import FixOutcome, FixTask, fix_cell


@dataclass
class CellReport:
    index: int
    error: str
    """``ename: evalue`` of the original failure."""
    outcome: FixOutcome
    cause: tuple[int, list[str]] | None = None
    """For a fixed cell: the earlier cell where the cause probably lay (its index) and the names the fix changed."""
    moved: CauseFix | None = None
    """For a fixed cell whose fix was made in the cause cell (``cause``): the two cells' new sources."""
    withdrawn: str = ""
    """Why a passing fix was withdrawn by the fresh-kernel verdict (the original is kept), or ""."""

    @property
    def kept(self) -> bool:
        """The fix passed and stays in the notebook."""
        return self.outcome.status == "fixed" and not self.withdrawn

    @property
    def changed(self) -> list[int]:
        """The cells a passing fix changes: this one, and the cause cell when the repair was made there."""
        return sorted({self.index, self.cause[0]}) if self.moved and self.cause else [self.index]


@dataclass
class NotebookReport:
    cells_run: int = 0
    failing: list[CellReport] = field(default_factory=list)
    """The cells that failed when their turn came in the fixing run, and what became of them."""
    failing_before: list[int] = field(default_factory=list)
    """Indices of the cells that fail in a fresh run of the notebook as it was."""
    failing_after: list[int] = field(default_factory=list)
    """Indices of the cells that fail in a fresh run of the notebook as written."""

    @property
    def fixed(self) -> list[CellReport]:
        return [c for c in self.failing if c.kept]

    @property
    def regressions(self) -> list[int]:
        """Cells that passed before and fail after: none, unless a failure could not be traced to a fix."""
        return sorted(set(self.failing_after) - set(self.failing_before))

    @property
    def all_pass(self) -> bool:
        return not self.failing_after


KernelFactory = Callable[[], KernelExecutor]
"""A new kernel (not started) in the notebook's kernelspec and folder."""


async def fix_notebook(
    notebook: Any,
    engine: Engine,
    new_kernel: KernelFactory,
    max_rounds: int = 3,
    on_cell: Callable[[CellReport], None] = lambda report: None,
    candidates: int = 1,
    in_copy: bool = True,
) -> NotebookReport:
    """Fix the failing code cells of ``notebook`` (an nbformat v4 node, changed in place) and judge the result in
    fresh kernels (see the module's docstring). ``candidates`` fixes are tried per round, each in a copy of the
    fixing kernel where one can be made (``in_copy``), so that a failed candidate leaves nothing behind for the next;
    else in the fixing kernel itself.

    A fixed cell gets the passing source; its original source is kept in the cell's metadata
    (``opencodeinterpreter.original_source``). Every code cell gets the outputs of the final fresh run.
    """
    language = notebook.metadata.get("language_info", {}).get("name", "python")
    cells = [(i, c) for i, c in enumerate(notebook.cells) if c.cell_type == "code" and c.source.strip()]
    report = NotebookReport(cells_run=len(cells))
    report.failing_before = _failing(await run_fresh([c.source for _, c in cells], new_kernel), cells)

    async with new_kernel() as executor:
        earlier: list[str] = []
        unset: dict[str, int] = {}  # names that cells still failing were to set: index of the cell
        for index, cell in cells:
            result = await executor.execute(cell.source)
            if not result.ok and (upstream := _knocked_out(result, unset)) is not None:
                message = f"It fails because cell {upstream + 1} still fails; not fixed here (that would make data up)."
                outcome = FixOutcome("failed", cell.source, [], message)
                report.failing.append(_report(index, cell.source, result, outcome, earlier, [], language))
                on_cell(report.failing[-1])
                unset.update(dict.fromkeys(defined_names(cell.source), upstream))
            elif not result.ok:
                task = FixTask(cell.source, result, list(earlier), language=language)
                outcome = await fix_cell(
                    engine,
                    executor,
                    task,
                    max_rounds,
                    reader=executor,
                    candidates=candidates,
                    in_copy=in_copy,
                    own_kernel=True,
                )
                cell_report = _report(index, cell.source, result, outcome, earlier, [i for i, _ in cells], language)
                report.failing.append(cell_report)
                on_cell(cell_report)
                if outcome.status == "fixed":
                    moved = cell_report.moved
                    if moved and cell_report.cause:  # the repair goes where the cause was
                        _replace(notebook.cells[cell_report.cause[0]], moved.cause_source)
                        earlier[moved.cell] = moved.cause_source
                    _replace(cell, moved.source if moved else outcome.source)
                else:
                    unset.update(dict.fromkeys(defined_names(cell.source), index))
            earlier.append(cell.source)

    while True:
        results = await run_fresh([c.source for _, c in cells], new_kernel)
        report.failing_after = _failing(results, cells)
        culprit = _culprit(report)
        if culprit is None:
            break
        withdrawn, reason = culprit
        _restore(notebook.cells[withdrawn.index])
        if withdrawn.moved and withdrawn.cause:
            _restore(notebook.cells[withdrawn.cause[0]])
        withdrawn.withdrawn = reason
    for count, ((_, cell), result) in enumerate(zip(cells, results, strict=True), start=1):
        _store_outputs(cell, result, count)
    return report


async def run_fresh(sources: Sequence[str], new_kernel: KernelFactory) -> list[ExecutionResult]:
    """Run every cell in a fresh kernel, top to bottom, going on after errors (as a reader of the notebook would
    see each cell's own fate)."""
    async with new_kernel() as kernel:
        return [await kernel.execute(source) for source in sources]


def _knocked_out(result: ExecutionResult, unset: dict[str, int]) -> int | None:
    """The index of the failing cell above that knocked this one out: a NameError for a name it was to set."""
    error = result.error
    match = re.search(r"name '(\w+)' is not defined", error.evalue) if error and error.ename == "NameError" else None
    return unset.get(match.group(1)) if match else None


def _failing(results: Sequence[ExecutionResult], cells: Sequence[tuple[int, Any]]) -> list[int]:
    return [index for (index, _), result in zip(cells, results, strict=True) if not result.ok]


def _culprit(report: NotebookReport) -> tuple[CellReport, str] | None:
    """The fix to withdraw, and why: a kept fix that fails in the fresh run, else the last kept fix above the first
    regression; None when the fresh run shows neither."""
    kept = [c for c in report.failing if c.kept]
    if broken := [c for c in kept if set(c.changed) & set(report.failing_after)]:
        return broken[0], "it fails in a fresh kernel (it passed only on what the failed original left behind)"
    for regression in report.regressions:
        above = [c for c in kept if c.changed[0] < regression]
        if above:
            return above[-1], f"cell {regression + 1}, which passed before, fails with it"
    return None


def _report(
    index: int,
    source: str,
    result: ExecutionResult,
    outcome: FixOutcome,
    earlier: Sequence[str],
    indices: Sequence[int],
    language: str,
) -> CellReport:
    error = result.error
    cell_report = CellReport(index, f"{error.ename}: {error.evalue}" if error else result.status, outcome)
    if language == "python" and outcome.status == "fixed" and (cause := cause_cell(earlier, source, outcome.source)):
        cell_report.cause = (indices[cause[0]], cause[1])
        cell_report.moved = fix_in_cause(earlier, source, outcome.source)
    return cell_report


def _replace(cell: Any, source: str) -> None:
    """Give ``cell`` a fixed source, keeping its first original in the metadata."""
    if source == cell.source:
        return
    cell.metadata.setdefault("opencodeinterpreter", {}).setdefault("original_source", cell.source)
    cell.source = source


def _restore(cell: Any) -> None:
    if "original_source" in cell.metadata.get("opencodeinterpreter", {}):
        cell.source = cell.metadata["opencodeinterpreter"].pop("original_source")
        if not cell.metadata["opencodeinterpreter"]:
            del cell.metadata["opencodeinterpreter"]


def _store_outputs(cell: Any, result: ExecutionResult, count: int) -> None:
    import nbformat

    cell.outputs = [nbformat.from_dict(output) for output in result.outputs]  # type: ignore[no-untyped-call]
    cell.execution_count = count
    for output in cell.outputs:
        if output.output_type == "execute_result":
            output.execution_count = count
