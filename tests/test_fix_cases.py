"""Validate the fix-loop benchmark data (``FIX_CASES`` and both held-out sets) in a real kernel, without any model.

One kernel per case set runs every case, with ``%reset -f`` between them: setup passes, the cell fails, the check
catches the unfixed state, and the reference solution passes the check.
"""

from __future__ import annotations

from collections import Counter

import pytest

from opencodeinterpreter_lab.bench.fix_cases import CATEGORIES, FIX_CASES, MIN_PER_CATEGORY, FixCase
from opencodeinterpreter_lab.bench.fix_cases_held_out import HELD_OUT_CASES
from opencodeinterpreter_lab.bench.fix_cases_held_out_2 import HELD_OUT_2_CASES
from opencodeinterpreter_lab.loop.execution import ExecutionResult, KernelExecutor

CASE_SETS: dict[str, tuple[FixCase, ...]] = {
    "FIX_CASES": FIX_CASES,
    "HELD_OUT_CASES": HELD_OUT_CASES,
    "HELD_OUT_2_CASES": HELD_OUT_2_CASES,
}
ALL_CASES: tuple[FixCase, ...] = FIX_CASES + HELD_OUT_CASES + HELD_OUT_2_CASES


def test_ids_are_unique_slugs_across_all_sets() -> None:
    counts = Counter(case.id for case in ALL_CASES)
    duplicates = sorted(case_id for case_id, n in counts.items() if n > 1)
    assert not duplicates, f"duplicate case ids: {duplicates}"
    for case in ALL_CASES:
        assert case.id and case.id == case.id.strip().lower() and " " not in case.id, f"{case.id!r}: not a slug"


def test_categories_are_valid() -> None:
    for case in ALL_CASES:
        assert case.category in CATEGORIES, f"{case.id}: unknown category {case.category!r}"


def test_fix_cases_meet_the_minimums() -> None:
    counts = Counter(case.category for case in FIX_CASES)
    short = {c: (counts[c], n) for c, n in MIN_PER_CATEGORY.items() if counts[c] < n}
    assert not short, f"categories below their minimum (have, need): {short}"
    assert len(FIX_CASES) >= 32, f"only {len(FIX_CASES)} cases"


def test_held_out_cases_cover_every_category() -> None:
    missing = set(CATEGORIES) - {case.category for case in HELD_OUT_CASES}
    assert not missing, f"categories without a held-out case: {sorted(missing)}"
    assert len(HELD_OUT_CASES) == 24, f"{len(HELD_OUT_CASES)} held-out cases"


def test_second_held_out_cases_cover_every_category() -> None:
    counts = Counter(case.category for case in HELD_OUT_2_CASES)
    missing = sorted(set(CATEGORIES) - set(counts))
    assert not missing, f"categories without a second held-out case: {missing}"
    assert len(HELD_OUT_2_CASES) == 24, f"{len(HELD_OUT_2_CASES)} second held-out cases"
    assert set(counts.values()) == {3}, f"not 3 cases per category: {dict(counts)}"


def test_cells_are_short() -> None:
    for case in ALL_CASES:
        lines = case.cell.strip("\n").count("\n") + 1
        assert 1 <= lines <= 6, f"{case.id}: the cell has {lines} lines"
        assert case.cell != case.solution, f"{case.id}: the solution is the failing cell"


def _describe(case: FixCase, step: str, result: ExecutionResult) -> str:
    return f"{case.id} ({case.category}): {step} -> {result.status}\n{result.summary(600)}"


async def _validate(kernel: KernelExecutor, case: FixCase) -> list[str]:
    """The problems with one case; the kernel is reset first and after."""
    problems: list[str] = []

    async def fresh_setup() -> bool:
        await kernel.execute("%reset -f")
        for index, setup in enumerate(case.setup):
            result = await kernel.execute(setup)
            if not result.ok:
                problems.append(_describe(case, f"setup cell {index} should pass", result))
                return False
        return True

    if not await fresh_setup():
        return problems
    failed = await kernel.execute(case.cell)
    if failed.status != "error":
        problems.append(_describe(case, "the cell should fail with an error", failed))
    caught = await kernel.execute(case.check)
    if caught.ok:
        problems.append(_describe(case, "the check should fail after the unfixed cell", caught))

    if not await fresh_setup():
        return problems
    fixed = await kernel.execute(case.solution)
    if not fixed.ok:
        problems.append(_describe(case, "the solution should pass", fixed))
    else:
        checked = await kernel.execute(case.check)
        if not checked.ok:
            problems.append(_describe(case, "the check should pass after the solution", checked))
    return problems


@pytest.mark.parametrize("case_set", CASE_SETS)
async def test_every_case_behaves_as_described(case_set: str) -> None:
    problems: list[str] = []
    async with KernelExecutor(timeout=30) as kernel:
        for case in CASE_SETS[case_set]:
            problems += await _validate(kernel, case)
    assert not problems, f"{len(problems)} problem(s):\n\n" + "\n\n".join(problems)
