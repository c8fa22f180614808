"""The OpenCodeInterpreter loop on one failing cell: propose a fix, run it, read the result, refine.

One loop for every caller: the panel (executing in the user's live kernel through the frontend), the headless
``jupyter opencodeinterpreter fix`` and the benchmarks (executing in a kernel of their own). It stops at the first
clean run, when the model proposes no code or the same code again, or after ``max_rounds``.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from .engine import ChatMessage, LlamaEngine, Usage
from .execution import ExecutionResult, Executor
from .feedback import last_code_block, prose, same_code

FIX_SYSTEM_PROMPT = (
    "You fix failing Jupyter notebook cells. Reply with one short sentence saying what was wrong, then the "
    "complete corrected cell in a single fenced code block. The earlier cells have already run: do not repeat them. "
    "Fix the cause; never hide the error with try/except or an if that skips the work. Change only what is needed "
    "and keep the cell's intent. Libraries are current (pandas 2, NumPy 2): APIs they removed do not exist."
)
CONTEXT_CHARS = 1500
ERROR_CHARS = 1200
RETRY_TEMPERATURE = 0.5
MAX_CELL_CHARS = 12_000
"""Longer cells cannot be rewritten within one answer by the small models this runs on."""

FixStatus = Literal["fixed", "failed", "no_code", "unchanged"]


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
class FixRound:
    number: int
    answer: str = ""
    code: str | None = None
    first_token_s: float | None = None
    """From the start of the round (the failure known) to the first token of the proposal."""
    result: ExecutionResult | None = None
    usage: Usage = field(default_factory=Usage)

    @property
    def explanation(self) -> str:
        return prose(self.answer)


@dataclass
class FixOutcome:
    status: FixStatus
    source: str
    """The cell as it ends: the passing fix, or the original source when nothing passed."""
    rounds: list[FixRound] = field(default_factory=list)
    message: str = ""

    @property
    def usage(self) -> Usage:
        return Usage(
            prompt_tokens=sum(r.usage.prompt_tokens for r in self.rounds),
            completion_tokens=sum(r.usage.completion_tokens for r in self.rounds),
        )


@dataclass
class FixCallbacks:
    """Optional hooks for streaming callers; the defaults do nothing."""

    on_token: Callable[[int, str], None] = lambda round_number, text: None
    on_proposal: Callable[[FixRound], None] = lambda fix_round: None
    on_result: Callable[[FixRound], None] = lambda fix_round: None


def build_fix_prompt(task: FixTask) -> list[ChatMessage]:
    fence = task.language
    parts = []
    if task.context:
        parts.append(f"Earlier cells:\n```{fence}\n" + "\n\n".join(task.context) + "\n```")
    if task.variables:
        parts.append(f"Variables:\n{task.variables}")
    parts.append(f"This cell fails:\n```{fence}\n{task.source}\n```")
    parts.append(f"Error:\n{task.failure.summary(ERROR_CHARS)}")
    return [{"role": "system", "content": FIX_SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]


NO_CODE_RETRY: ChatMessage = {
    "role": "user",
    "content": "Reply with the complete corrected cell in a fenced code block.",
}
UNCHANGED_WARNING = "\n\nKeeping this code as it is does not work: it fails with exactly this error. Change it."


def feedback_message(result: ExecutionResult) -> ChatMessage:
    return {"role": "user", "content": f"That still fails:\n{result.summary(ERROR_CHARS)}\nFix it."}


async def fix_cell(
    engine: LlamaEngine,
    executor: Executor,
    task: FixTask,
    max_rounds: int = 3,
    callbacks: FixCallbacks | None = None,
    max_tokens: int = 768,
) -> FixOutcome:
    """Propose, run and refine fixes for ``task`` until one runs cleanly. Cancel by cancelling the awaiting task."""
    hooks = callbacks or FixCallbacks()
    if len(task.source) > MAX_CELL_CHARS:
        message = f"The cell is too long to fix ({len(task.source)} characters, at most {MAX_CELL_CHARS}): split it."
        return FixOutcome("failed", task.source, [], message)
    messages = build_fix_prompt(task)
    current, current_failure = task.source, task.failure
    rounds: list[FixRound] = []
    for number in range(1, max_rounds + 1):
        fix_round = FixRound(number)
        rounds.append(fix_round)
        started = time.perf_counter()
        # Greedy first; later rounds sample a little, so that a model stuck on one idea can leave it.
        temperature = 0.0 if number == 1 else RETRY_TEMPERATURE
        generation = engine.generate(messages, max_tokens=max_tokens, temperature=temperature)
        fix_round.usage = generation.usage
        async for piece in generation:
            if fix_round.first_token_s is None:
                fix_round.first_token_s = time.perf_counter() - started
            fix_round.answer += piece
            hooks.on_token(number, piece)
        fix_round.code = last_code_block(fix_round.answer, task.language)
        if fix_round.code is None:
            messages = [*messages, {"role": "assistant", "content": fix_round.answer}, NO_CODE_RETRY]
            continue
        if same_code(fix_round.code, current):
            # Small models anchor on their previous turn: start over from the first prompt with a warning rather
            # than run the failing code again.
            system, prompt = build_fix_prompt(replace(task, source=current, failure=current_failure))
            messages = [system, {"role": "user", "content": prompt["content"] + UNCHANGED_WARNING}]
            continue
        hooks.on_proposal(fix_round)
        fix_round.result = await executor.execute(fix_round.code)
        hooks.on_result(fix_round)
        if fix_round.result.ok:
            return FixOutcome("fixed", fix_round.code, rounds)
        messages = [*messages, {"role": "assistant", "content": fix_round.answer}, feedback_message(fix_round.result)]
        current, current_failure = fix_round.code, fix_round.result
    last = rounds[-1]
    if last.code is None:
        return FixOutcome("no_code", task.source, rounds, "The model answered without a code block.")
    if last.result is None:
        return FixOutcome("unchanged", task.source, rounds, "The model kept proposing the code that fails.")
    return FixOutcome("failed", task.source, rounds, f"No fix passed within {max_rounds} rounds.")


# ---- which earlier cells matter --------------------------------------------------------------------------------

_BUILTINS = frozenset(dir(builtins))
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def used_names(source: str) -> set[str]:
    """Names a cell reads (Python; a regex fallback for code that does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(_IDENTIFIER.findall(source)) - _BUILTINS
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - _BUILTINS


def defined_names(source: str) -> set[str]:
    """Names a cell binds at top level: assignments, functions, classes, imports, loop targets."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(re.findall(r"^(?:def|class)?\s*([A-Za-z_]\w*)\s*[=(:]", source, re.MULTILINE))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def relevant_cells(earlier: Sequence[str], source: str, max_chars: int = CONTEXT_CHARS) -> list[str]:
    """The earlier cells that define names ``source`` uses, latest definitions first, within ``max_chars``.

    A failing cell's root cause is often where its names were defined; cells that define nothing it uses are noise
    that costs prompt-evaluation time.
    """
    needed = used_names(source)
    defined = [defined_names(cell) for cell in earlier]
    known = set().union(*defined) if defined else set()
    for name in needed - known:  # a misspelt name: the cells defining what it was probably meant to be
        needed.update(difflib.get_close_matches(name, known, n=2, cutoff=0.75))
    chosen: list[int] = []
    budget = max_chars
    for index in range(len(earlier) - 1, -1, -1):
        if not needed:
            break
        defines = defined[index] & needed
        if defines and len(earlier[index]) <= budget:
            chosen.append(index)
            budget -= len(earlier[index])
            needed -= defines
    return [earlier[i] for i in sorted(chosen)]
