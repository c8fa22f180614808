"""Headless fixing: run a notebook top to bottom in a fresh kernel, fixing each failing cell with the fix loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .cells import cause_cell, relevant_cells, used_names
from .engine import LlamaEngine
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


@dataclass
class NotebookReport:
    cells_run: int = 0
    failing: list[CellReport] = field(default_factory=list)

    @property
    def fixed(self) -> list[CellReport]:
        return [c for c in self.failing if c.outcome.status == "fixed"]

    @property
    def all_pass(self) -> bool:
        return len(self.fixed) == len(self.failing)


async def fix_notebook(
    notebook: Any,
    engine: LlamaEngine,
    executor: KernelExecutor,
    max_rounds: int = 3,
    on_cell: Callable[[CellReport], None] = lambda report: None,
) -> NotebookReport:
    """Run every code cell of ``notebook`` (an nbformat v4 node, changed in place) and fix the failing ones.

    A fixed cell gets the passing source and its outputs; its original source is kept in the cell's metadata
    (``opencodeinterpreter.original_source``). A cell that stays broken keeps its source and gets its error output.
    """
    language = notebook.metadata.get("language_info", {}).get("name", "python")
    report = NotebookReport()
    earlier: list[str] = []
    earlier_indices: list[int] = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        report.cells_run += 1
        result = await executor.execute(cell.source)
        if not result.ok:
            variables = await executor.describe_variables(used_names(cell.source)) if language == "python" else ""
            task = FixTask(cell.source, result, relevant_cells(earlier, cell.source), variables, language)
            outcome = await fix_cell(engine, executor, task, max_rounds)
            error = result.error
            cell_report = CellReport(index, f"{error.ename}: {error.evalue}" if error else result.status, outcome)
            if outcome.status == "fixed" and (cause := cause_cell(earlier, cell.source, outcome.source)):
                cell_report.cause = (earlier_indices[cause[0]], cause[1])
            report.failing.append(cell_report)
            on_cell(cell_report)
            if outcome.status == "fixed":
                cell.metadata.setdefault("opencodeinterpreter", {})["original_source"] = cell.source
                cell.source = outcome.source
                result = outcome.rounds[-1].result or result
        _store_outputs(cell, result, report.cells_run)
        earlier.append(cell.source)
        earlier_indices.append(index)
    return report


def _store_outputs(cell: Any, result: ExecutionResult, count: int) -> None:
    import nbformat

    cell.outputs = [nbformat.from_dict(output) for output in result.outputs]  # type: ignore[no-untyped-call]
    cell.execution_count = count
    for output in cell.outputs:
        if output.output_type == "execute_result":
            output.execution_count = count
