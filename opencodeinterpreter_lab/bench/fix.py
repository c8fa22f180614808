"""The fix benchmark: how many realistic failing cells the fix loop repairs, and how fast.

Each case (see ``fix_cases.py``) runs its setup cells and its failing cell in a real kernel, then the same
``fix_cell`` loop the panel uses tries to repair it. A case counts as fixed when the repaired cell runs cleanly
*and* the case's check of the intended result passes. Reported: the fix rate within 1 round and within
``rounds`` rounds, and the median time from the failure to the proposal's first token and to the passing cell.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..engine.base import Engine
from ..loop.core import LoopCallbacks, Round
from ..loop.execution import KernelExecutor
from ..loop.fixer import ALL_AIDS, FixAids, FixTask, fix_cell
from .fix_cases import FIX_CASES, FixCase
from .fix_cases_held_out import HELD_OUT_CASES
from .fix_cases_held_out_2 import HELD_OUT_2_CASES


@dataclass
class CaseResult:
    id: str
    category: str
    status: str
    rounds: int
    passed_check: bool
    first_token_s: float | None
    """From the failure to the proposal's first token: the kernel reads for the prompt count, as in the panel."""
    to_passing_s: float | None
    answer: str
    prompt_tokens: int = 0
    """Over all rounds (re-asks included): the cost of the prompt."""
    seconds: float = 0.0
    """From the failure to the end of the fix loop."""
    objections: list[str] = field(default_factory=list)
    """Why answers were not run, or runs not accepted (see :attr:`Round.objections`)."""
    left_out: list[str] = field(default_factory=list)
    """Lines of passing answers that the proposal left out (see :attr:`Round.left_out`)."""

    @property
    def fixed(self) -> bool:
        return self.status == "fixed" and self.passed_check


async def run_case(
    engine: Engine,
    kernel: KernelExecutor,
    case: FixCase,
    rounds: int,
    aids: FixAids = ALL_AIDS,
    candidates: int = 1,
    in_copy: bool = True,
) -> CaseResult:
    await kernel.execute("%reset -f")
    for cell in case.setup:
        setup = await kernel.execute(cell)
        if not setup.ok:
            raise RuntimeError(f"case {case.id}: setup failed: {setup.summary()}")
    failure = await kernel.execute(case.cell)
    started = time.perf_counter()
    first_token_at: list[float] = []
    passed_at: list[float] = []

    def on_token(round_number: int, text: str) -> None:
        if not first_token_at:
            first_token_at.append(time.perf_counter() - started)

    def on_result(fix_round: Round) -> None:
        if fix_round.passed:
            passed_at.append(time.perf_counter() - started)

    # What the panel sends: the cells above; the kernel is read as the server reads the user's live kernel.
    task = FixTask(case.cell, failure, case.setup, aids=aids)
    callbacks = LoopCallbacks(on_token=on_token, on_result=on_result)
    outcome = await fix_cell(
        engine, kernel, task, rounds, callbacks, reader=kernel, candidates=candidates, in_copy=in_copy
    )
    seconds = time.perf_counter() - started
    passed_check = outcome.status == "fixed" and (await kernel.execute(case.check)).ok
    return CaseResult(
        id=case.id,
        category=case.category,
        status=outcome.status,
        rounds=outcome.rounds[-1].number if outcome.rounds else 0,
        passed_check=passed_check,
        first_token_s=first_token_at[0] if first_token_at else None,
        to_passing_s=passed_at[0] if passed_at else None,
        answer=outcome.rounds[-1].answer if outcome.rounds else "",
        prompt_tokens=outcome.usage.prompt_tokens,
        seconds=seconds,
        objections=[o for r in outcome.rounds for o in r.objections],
        left_out=[line for r in outcome.rounds for line in r.left_out],
    )


CASE_SETS: dict[str, tuple[FixCase, ...]] = {
    "main": FIX_CASES,
    "held-out": HELD_OUT_CASES,
    "held-out-2": HELD_OUT_2_CASES,
}
"""``main`` is the set the prompts were developed on; ``held-out`` and ``held-out-2`` were written later, blind to
them (``held-out-2`` before any change of the round that added it). Never tune on a held-out set."""


async def run_fix_benchmark(
    engine: Engine,
    rounds: int = 3,
    limit: int | None = None,
    only: Sequence[str] = (),
    case_set: str = "main",
    aids: FixAids = ALL_AIDS,
    candidates: int = 1,
    in_copy: bool = True,
) -> list[CaseResult]:
    await engine.ready()
    cases = [case for case in CASE_SETS[case_set] if not only or case.id in only][:limit]
    results = []
    async with KernelExecutor(timeout=30) as kernel:
        for number, case in enumerate(cases, start=1):
            result = await run_case(engine, kernel, case, rounds, aids, candidates, in_copy)
            results.append(result)
            verdict = f"fixed in {result.rounds}" if result.fixed else f"NOT fixed ({result.status})"
            ttft = f"{result.first_token_s:.2f}" if result.first_token_s is not None else "-"
            print(f"[{number:2}/{len(cases)}] {case.id:<28} {verdict:<22} first token {ttft} s", flush=True)
    return results


def summarize(results: list[CaseResult], rounds: int) -> str:
    total = len(results)
    within_one = sum(r.fixed and r.rounds == 1 for r in results)
    within_all = sum(r.fixed for r in results)
    first_tokens = [r.first_token_s for r in results if r.first_token_s is not None]
    to_passing = [r.to_passing_s for r in results if r.fixed and r.to_passing_s is not None]
    lines = [
        f"fixed within 1 round:  {within_one}/{total} ({within_one / total:.0%})",
        f"fixed within {rounds} rounds: {within_all}/{total} ({within_all / total:.0%})",
        f"median failure -> first token of the proposal: {statistics.median(first_tokens):.2f} s",
    ]
    if to_passing:
        lines.append(f"median failure -> passing cell (fixed cases): {statistics.median(to_passing):.2f} s")
    objected = Counter(o.split(":")[0] for r in results for o in r.objections)
    lines.append(
        "answers not run or not accepted: " + (", ".join(f"{n} {o}" for o, n in objected.most_common()) or "none")
    )
    trimmed = [r for r in results if r.left_out]
    lines.append(
        f"proposed without lines they passed without: {len(trimmed)} "
        f"({sum(r.fixed for r in trimmed)} of them fixed, {sum(r.status == 'fixed' and not r.fixed for r in trimmed)} "
        "passing but wrong)"
    )
    all_rounds = sum(r.rounds for r in results) or 1
    lines.append(
        f"per round: {sum(r.prompt_tokens for r in results) / all_rounds:.0f} prompt tokens, "
        f"{sum(r.seconds for r in results) / all_rounds:.1f} s"
    )
    by_category: dict[str, list[CaseResult]] = {}
    for r in results:
        by_category.setdefault(r.category, []).append(r)
    lines.append(
        "by category: "
        + ", ".join(f"{c} {sum(r.fixed for r in rs)}/{len(rs)}" for c, rs in sorted(by_category.items()))
    )
    return "\n".join(lines)


def main(
    engine: Engine,
    rounds: int,
    limit: int | None,
    output: Path | None,
    only: Sequence[str] = (),
    case_set: str = "main",
    aids: FixAids = ALL_AIDS,
    candidates: int = 1,
    in_copy: bool = True,
) -> int:
    async def run() -> list[CaseResult]:
        try:
            return await run_fix_benchmark(engine, rounds, limit, only, case_set, aids, candidates, in_copy)
        finally:
            await engine.close()

    results = asyncio.run(run())
    if output:
        output.write_text("".join(json.dumps(asdict(r)) + "\n" for r in results))
    print(summarize(results, rounds))
    sys.stdout.flush()
    return 0
