"""The notebook benchmark: does the headless fixer repair whole notebooks, and never make one worse?

Each notebook in ``notebook_cases/`` is a tutorial-style notebook of 10 to 30 cells (magics, plots, imports in the first
cell) broken the way real ones break: an early failure that knocks out the cells after it, removed library APIs.
It is copied to a temporary folder and fixed with ``fix_notebook`` (the same code as ``jupyter opencodeinterpreter
fix``); the score comes from fresh kernels: the cells failing before and after, and the regressions (cells that
passed before and fail after), which must be 0. The notebooks were written blind to the fixer's prompts and checks.
"""

from __future__ import annotations

import asyncio
import functools
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from ..engine.base import Engine
from ..loop.execution import KernelExecutor
from ..loop.notebook import fix_notebook

NOTEBOOKS = Path(__file__).with_name("notebook_cases")


@dataclass
class NotebookResult:
    name: str
    cells: int
    failing_before: list[int]
    failing_after: list[int]
    regressions: list[int]
    fixes_kept: int
    fixes_withdrawn: int
    seconds: float


async def run_notebook(
    engine: Engine, path: Path, rounds: int, candidates: int = 1, in_copy: bool = True
) -> NotebookResult:
    import nbformat

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(shutil.copy(path, folder))
        notebook = nbformat.read(copy, as_version=4)  # type: ignore[no-untyped-call]
        started = time.perf_counter()
        new_kernel = functools.partial(KernelExecutor, timeout=60, cwd=folder)
        report = await fix_notebook(notebook, engine, new_kernel, rounds, candidates=candidates, in_copy=in_copy)
    return NotebookResult(
        name=path.stem,
        cells=report.cells_run,
        failing_before=report.failing_before,
        failing_after=report.failing_after,
        regressions=report.regressions,
        fixes_kept=len(report.fixed),
        fixes_withdrawn=sum(1 for cell in report.failing if cell.withdrawn),
        seconds=time.perf_counter() - started,
    )


def summarize(results: Sequence[NotebookResult]) -> str:
    before = sum(len(r.failing_before) for r in results)
    after = sum(len(r.failing_after) for r in results)
    lines = [
        f"notebooks: {len(results)}, all passing after: {sum(not r.failing_after for r in results)}",
        f"failing cells (fresh kernel): {before} before -> {after} after",
        f"regressions (passed before, fail after): {sum(len(r.regressions) for r in results)}",
        f"fixes kept: {sum(r.fixes_kept for r in results)}, withdrawn: {sum(r.fixes_withdrawn for r in results)}",
        f"median time per notebook: {statistics.median(r.seconds for r in results):.1f} s",
    ]
    return "\n".join(lines)


def main(
    engine: Engine, rounds: int, only: Sequence[str], output: Path | None, candidates: int = 1, in_copy: bool = True
) -> int:
    paths = [p for p in sorted(NOTEBOOKS.glob("*.ipynb")) if not only or p.stem in only]

    async def run() -> list[NotebookResult]:
        await engine.ready()
        results = []
        try:
            for number, path in enumerate(paths, start=1):
                result = await run_notebook(engine, path, rounds, candidates, in_copy)
                results.append(result)
                print(
                    f"[{number:2}/{len(paths)}] {result.name:<36} failing {len(result.failing_before)} -> "
                    f"{len(result.failing_after)}, regressions {len(result.regressions)}, {result.seconds:.0f} s",
                    flush=True,
                )
        finally:
            await engine.close()
        return results

    results = asyncio.run(run())
    if output:
        output.write_text("".join(json.dumps(asdict(r)) + "\n" for r in results))
    print(summarize(results))
    return 0
