"""Fixing one failing cell: the OpenCodeInterpreter loop (``loop.py``) with the fixer's prompts and policy.

One fixer for every caller: the panel (executing in the user's live kernel through the frontend), the headless
``jupyter opencodeinterpreter fix`` and the benchmarks (executing in a kernel of their own). It stops at the first
clean run, when a round ends with nothing to run (no code, or the failing code again, or code that hides the error or
drops the cell's work, even when asked once more), or after ``max_rounds``. The prompt carries hints for well-known
errors (``hints.py``); which earlier cells matter, and the checks on a fix's code, are in ``cells.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from .cells import dropped_names, guarded_names
from .engine import ChatMessage, LlamaEngine, Usage
from .execution import ExecutionResult, Executor
from .feedback import head_and_tail
from .hints import HintContext, error_hints
from .loop import LastRun, LoopCallbacks, LoopEnd, LoopPolicy, Round, run_loop, total_usage

FIX_SYSTEM_PROMPT = (
    "You fix failing Jupyter notebook cells. Reply with one short sentence saying what was wrong, then the "
    "complete corrected cell in a single fenced code block. The earlier cells have already run: do not repeat them; "
    "when the cause is in one of them, repair it in this cell (redefine or convert what is needed). "
    "Fix the cause; never hide the error with try/except or an if that skips the work. Change only what is needed "
    "and keep the cell's intent. Libraries are recent (pandas 2 or later, NumPy 2): APIs they removed do not exist."
)
ERROR_CHARS = 1200
RETRY_TEMPERATURE = 0.5
REFUSED_TEMPERATURE = 0.9
MAX_CELL_CHARS = 12_000
"""Longer cells cannot be rewritten within one answer by the small models this runs on."""

FixStatus = Literal["fixed", "failed", "no_code", "unchanged"]
_STATUS: dict[LoopEnd, FixStatus] = {
    "passed": "fixed",
    "no_code": "no_code",
    "refused": "unchanged",
    "max_rounds": "failed",
    "answered": "no_code",  # not reached: the fix policy asks again for code
}


@dataclass(frozen=True)
class FixTask:
    source: str
    failure: ExecutionResult
    context: Sequence[str] = ()
    """Sources of the earlier cells that matter (see :func:`relevant_cells`)."""
    variables: str = ""
    """A summary of the kernel variables the cell uses, when the caller has one."""
    language: str = "python"


@dataclass
class FixOutcome:
    status: FixStatus
    source: str
    """The cell as it ends: the passing fix, or the original source when nothing passed."""
    rounds: list[Round] = field(default_factory=list)
    message: str = ""

    @property
    def usage(self) -> Usage:
        return total_usage(self.rounds)


def build_fix_prompt(task: FixTask) -> list[ChatMessage]:
    fence = task.language
    parts = []
    if task.context:
        parts.append(f"Earlier cells:\n```{fence}\n" + "\n\n".join(task.context) + "\n```")
    if task.variables:
        parts.append(f"Variables:\n{task.variables}")
    parts.append(f"This cell fails:\n```{fence}\n{task.source}\n```")
    parts.append(f"Error:\n{task.failure.summary(ERROR_CHARS)}{hint_lines(task, task.failure)}")
    return [{"role": "system", "content": FIX_SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]


UNCHANGED_WARNING = "Keeping this code as it is does not work: it fails with exactly this error. Change it."


def unchanged_objection(explanation: str) -> str:
    """The objection to an answer whose code is the failing code again. Small models often explain the right change
    and then copy the cell unchanged: quoting their own explanation back gets the change written."""
    if not explanation:
        return UNCHANGED_WARNING
    return (
        f'You explained: "{head_and_tail(explanation, 400)}" But your code is the code that just failed, unchanged: '
        "it fails with exactly this error. Write the cell with the change you described."
    )


def hint_lines(task: FixTask, failure: ExecutionResult) -> str:
    """``\nHint: …`` lines for ``failure``'s error (see ``hints.py``), or ""."""
    error = failure.error
    if error is None or task.language != "python":
        return ""
    hints = error_hints(HintContext(error, task.source, task.context, task.variables))
    return "".join(f"\nHint: {hint}" for hint in hints)


def fix_policy(task: FixTask) -> LoopPolicy:
    def restart(messages: list[ChatMessage], objection: str, last_run: LastRun | None) -> list[ChatMessage]:
        # The next round's conversation: the first prompt for the code that ran last (and its failure), with the
        # objection to the answer just refused, if any.
        code, failure = last_run or (task.source, task.failure)
        system, prompt = build_fix_prompt(FixTask(code, failure, task.context, task.variables, task.language))
        return [system, {"role": "user", "content": prompt["content"] + (f"\n\n{objection}" if objection else "")}]

    def objection(code: str) -> str | None:
        if task.language != "python":
            return None
        if hidden := guarded_names(task.source, code):
            return (
                f"Do not guard with if/try: the cell must still set {', '.join(hidden)}. Fix the cause of the error "
                "so that the cell does its work."
            )
        if dropped := dropped_names(task.source, code):
            return (
                f"Do not drop the cell's work: it must still set {', '.join(dropped)}. Fix the cause of the error so "
                "that the cell does its work."
            )
        return None

    # Every round starts from the first prompt, for the code that failed last (small models anchor on their earlier
    # answers; the prompt's head stays in llama.cpp's cache). Greedy first; later rounds sample a little, so that a
    # model stuck on one idea can leave it, and more after an answer that repeated the failing code or only hid the
    # error. Such an answer is asked again once within its round: a round is one proposal run in the kernel.
    return LoopPolicy(
        feedback=None,
        redirect=restart,
        objection=objection,
        repeat_objection=unchanged_objection,
        temperatures=(0.0, RETRY_TEMPERATURE),
        refused_temperature=REFUSED_TEMPERATURE,
        reasks=1,
    )


async def fix_cell(
    engine: LlamaEngine,
    executor: Executor,
    task: FixTask,
    max_rounds: int = 3,
    callbacks: LoopCallbacks | None = None,
    max_tokens: int = 768,
) -> FixOutcome:
    """Propose, run and refine fixes for ``task`` until one runs cleanly. Cancel by cancelling the awaiting task."""
    if len(task.source) > MAX_CELL_CHARS:
        message = f"The cell is too long to fix ({len(task.source)} characters, at most {MAX_CELL_CHARS}): split it."
        return FixOutcome("failed", task.source, [], message)
    result = await run_loop(
        engine,
        executor,
        build_fix_prompt(task),
        fix_policy(task),
        max_rounds,
        task.language,
        callbacks,
        max_tokens,
        last_run=(task.source, task.failure),
    )
    status = _STATUS[result.end]
    if status == "fixed":
        passing = result.rounds[-1].code
        assert passing is not None
        return FixOutcome(status, passing, result.rounds)
    message = {
        "no_code": "The model answered without a code block.",
        "unchanged": "The model kept proposing the code that fails, or code that only hides the error.",
        "failed": f"No fix passed within {max_rounds} rounds.",
    }[status]
    return FixOutcome(status, task.source, result.rounds, message)
