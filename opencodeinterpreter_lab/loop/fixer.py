"""Fixing one failing cell: the OpenCodeInterpreter loop (``core.py``) with the fixer's prompts and policy.

One fixer for every caller: the panel (executing in the user's live kernel through the frontend), the headless
``jupyter opencodeinterpreter fix`` and the benchmarks (executing in a kernel of their own). It stops at the first
clean run, when a round ends with nothing to run (no code, or the failing code again, or code that hides the error or
drops the cell's work, even when asked once more), or after ``max_rounds``. Where fixes are tried in copies of the
kernel, a passing one is proposed without the statements it added that it also passes without (:func:`trimmed_fix`).
The prompt carries hints for well-known errors (``hints.py``); which earlier cells matter, and the checks on a fix's
code, are in ``cells.py``.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import functools
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..engine.base import ChatMessage, Engine, Usage
from .cells import (
    added_statements,
    defined_names,
    dropped_names,
    guarded_names,
    parse_cell,
    recreated_names,
    relevant_cells,
    shows_output,
    stale_names,
    used_names,
    with_own_imports,
    without_pasted,
    without_statement,
)
from .core import LastRun, LoopCallbacks, LoopEnd, LoopPolicy, Round, run_loop, total_usage
from .execution import ExecutionResult, Executor, KernelReader, describe_variables
from .hints import HintContext, error_hints
from .kernel_facts import kernel_facts
from .trial import try_in_copy

FIX_SYSTEM_PROMPT = (
    "You fix failing Jupyter notebook cells. Reply with one short sentence saying what was wrong, then the "
    "complete corrected cell in a single fenced code block. The earlier cells have already run: do not repeat them; "
    "when the cause is in one of them, repair it in this cell (redefine or convert what is needed). "
    "Fix the cause; never hide the error with try/except or an if that skips the work. Change only what is needed "
    "and keep the cell's intent. Libraries are recent (pandas 2 or later, NumPy 2): APIs they removed do not exist."
)
ERROR_CHARS = 1200
RETRY_TEMPERATURE = 0.5
REFUSED_TEMPERATURE = 0.7
MAX_CELL_CHARS = 12_000
"""Longer cells cannot be rewritten within one answer by the small models this runs on."""
CANDIDATES = 3
"""Fixes tried per round where trying is safe: by the panel in copies of the user's kernel (the server's
``fix_candidates``), by the headless fixer in copies of its own kernel (in that kernel where no copy can be made).
Set before any benchmark run, not tuned."""
TRIM_SECONDS = 10.0
"""How long a passing fix is tried without the statements it added (in copies of the kernel, each try cut off
there too) before it is proposed: a cell slower than that is proposed as the model wrote it. Set before any
benchmark run."""

FixStatus = Literal["fixed", "failed", "no_code", "unchanged"]
_STATUS: dict[LoopEnd, FixStatus] = {
    "passed": "fixed",
    "no_code": "no_code",
    "refused": "unchanged",
    "max_rounds": "failed",
    "answered": "no_code",  # not reached: the fix policy asks again for code
}


@dataclass(frozen=True)
class FixAids:
    """What the prompt carries beyond the cell, its error and the cells it uses: all on in the product; the fix
    benchmark turns them off to measure what each buys (``bench fix --without hints``: errors no hint was written for).
    """

    hints: bool = True
    """Sentences for well-known errors (``hints.py``)."""
    kernel_facts: bool = True
    """What the kernel says about the objects the failing line uses (``kernel_facts.py``)."""


ALL_AIDS = FixAids()


@dataclass(frozen=True)
class FixTask:
    source: str
    failure: ExecutionResult
    earlier: Sequence[str] = ()
    """Sources of all the cells above, in order (the prompt shows those that matter: :attr:`context`)."""
    variables: str = ""
    """A summary of the kernel variables the cell uses; :func:`fix_cell` reads it from the kernel when it can."""
    facts: str = ""
    """What the kernel says about the objects the failing line uses (see ``kernel_facts.py``)."""
    language: str = "python"
    aids: FixAids = ALL_AIDS

    @functools.cached_property
    def context(self) -> list[str]:
        """The earlier cells that define names the cell uses (see :func:`relevant_cells`)."""
        return relevant_cells(self.earlier, self.source) if self.language == "python" else []

    @functools.cached_property
    def earlier_defined(self) -> set[str]:
        """Every name the cells above bind."""
        return set().union(*map(defined_names, self.earlier)) if self.language == "python" else set()


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


def build_fix_prompt(task: FixTask, last_run: LastRun | None = None) -> list[ChatMessage]:
    """The prompt for the cell's failure, or for the code that ran last in its place and how that failed."""
    code, failure = last_run or (task.source, task.failure)
    fence = task.language
    parts = []
    if task.context:
        parts.append(f"Earlier cells:\n```{fence}\n" + "\n\n".join(task.context) + "\n```")
    if task.variables:
        parts.append(f"Variables:\n{task.variables}")
    parts.append(f"This cell fails:\n```{fence}\n{code}\n```")
    facts = f"\nThe kernel says:\n{task.facts}" if task.facts and code == task.source else ""  # of its failure
    parts.append(f"Error:\n{failure.summary(ERROR_CHARS)}{facts}{hint_lines(task, code, failure)}")
    return [{"role": "system", "content": FIX_SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]


UNCHANGED_OBJECTION = (
    "Your code was the failing cell unchanged: it fails with exactly this error. Name two different changes to the "
    "failing line that would avoid this error, pick the one that keeps the cell's intent, and write the cell with it."
)
"""Small models asked again for "the fix" copy the cell again, even when their own explanation names the change
(quoting it back got a changed cell 3 times in 21 on the main set without hints); asked for two alternatives, they
leave the copy (10 in 21)."""


def hint_lines(task: FixTask, code: str, failure: ExecutionResult) -> str:
    """``\nHint: …`` lines for ``failure``'s error (see ``hints.py``), or ""."""
    error = failure.error
    if error is None or task.language != "python" or not task.aids.hints:
        return ""
    hints = error_hints(HintContext(error, code, task.context, task.variables))
    return "".join(f"\nHint: {hint}" for hint in hints)


def fix_policy(
    task: FixTask,
    reader: KernelReader | None = None,
    candidates: int = 1,
    in_copy: bool = False,
    own_kernel: bool = False,
) -> LoopPolicy:
    def restart(messages: list[ChatMessage], objection: str, last_run: LastRun | None) -> list[ChatMessage]:
        # The next round's conversation: the first prompt for the code that ran last (and its failure), with the
        # objection to the answer just refused, if any.
        system, prompt = build_fix_prompt(task, last_run)
        return [system, {"role": "user", "content": prompt["content"] + (f"\n\n{objection}" if objection else "")}]

    def objection(code: str) -> str | None:
        return fix_objection(task, code)

    async def judge(code: str, result: ExecutionResult) -> str | None:
        if task.language != "python":
            return None
        if shows_output(task.source) and not result.outputs:
            return (
                "Do not silence the cell: it ran but showed nothing, and the cell shows its result. Fix the cause "
                "of the error so that the cell does its work."
            )
        if reader is not None and not result.in_copy and parse_cell(task.source) is None:  # ask the kernel
            bound = defined_names(code)  # a name the fix renames (a typo, a keyword used as a name) is not wanted
            renamed = {n for n in defined_names(task.source) - bound if difflib.get_close_matches(n, bound, 1, 0.6)}
            unset = await unset_names(reader, defined_names(task.source) - renamed)
            if unset:
                return f"Do not drop the cell's work: it ran but did not set {', '.join(unset)}. Set them."
        return None

    trial = trim = None  # one candidate a round is proposed untried, as documented for candidates = 1
    if in_copy and candidates > 1 and reader is not None and task.language == "python":
        trial = functools.partial(try_in_copy, reader)
        trim = functools.partial(trimmed_fix, task, functools.partial(try_in_copy, reader, timeout=TRIM_SECONDS), judge)
    # Every round starts from the first prompt, for the code that failed last (small models anchor on their earlier
    # answers; the prompt's head stays in llama.cpp's cache). Greedy first; later rounds sample a little, so that a
    # model stuck on one idea can leave it, and more after an answer that repeated the failing code or only hid the
    # error. Such an answer is asked again once within its round: a round is one proposal run in the kernel.
    return LoopPolicy(
        feedback=None,
        redirect=restart,
        tidy=lambda code: tidy_fix(task, code),
        objection=objection,
        repeat_objection=lambda explanation: UNCHANGED_OBJECTION,
        temperatures=(0.0, RETRY_TEMPERATURE),
        refused_temperature=REFUSED_TEMPERATURE,
        reasks=1,
        judge=judge,
        candidates=1 if in_copy and trial is None and not own_kernel else candidates,  # never in the user's kernel
        trial=trial,
        untried_candidates=own_kernel,
        trim=trim,
    )


async def trimmed_fix(
    task: FixTask,
    trial: Callable[[str], Awaitable[ExecutionResult | str]],
    judge: Callable[[str, ExecutionResult], Awaitable[str | None]],
    code: str,
    tried: ExecutionResult,
    seconds: float = TRIM_SECONDS,
) -> tuple[str, ExecutionResult]:
    """``code``, a fix that passed in a copy of the kernel (``tried``), without each statement it added to the cell
    that it also passes without, tried in copies, and what the last version that passed did there.

    A fix changes only what it must: small models add work the cell never asked for (``json.loads`` of the string
    the cell was fixed to make), and what runs without it was not needed to fix the error. A shorter version must
    pass every check a fix must pass."""
    deadline = time.monotonic() + seconds
    failed: set[str] = set()
    while shorter_versions := [
        shorter
        for statement in reversed(added_statements(task.source, code))  # the last added first
        if (shorter := without_statement(code, statement, task.source)) not in failed
        and fix_objection(task, shorter) is None
    ]:
        for shorter in shorter_versions:
            if time.monotonic() > deadline:
                return code, tried
            result = await trial(shorter)
            if isinstance(result, ExecutionResult) and result.ok and await judge(shorter, result) is None:
                code, tried = shorter, result
                break  # and look again at what this one added
            failed.add(shorter)
        else:
            break
    return code, tried


def tidy_fix(task: FixTask, code: str) -> str:
    """The proposed fix as it will run: without what it pasted from earlier cells, with the cell's own imports of the
    modules it uses (see ``cells.py``). Mechanical repairs need no round of a small model."""
    if task.language != "python":
        return code
    return with_own_imports(without_pasted(code, task.source, task.earlier), task.source, task.earlier_defined)


def fix_objection(task: FixTask, code: str) -> str | None:
    """Why a proposed fix must not run (it hides the error, drops or fakes the cell's work), or None.

    Each check is true of any cell, whatever its error: a fix keeps doing what the cell did (the names it set, what
    it showed), unconditionally; it does not make up data that earlier cells hold; and it does not lean on what the
    failed run of the original left in the kernel, which a restart loses."""
    if task.language != "python":
        return None
    work = "Fix the cause of the error so that the cell does its work."
    if hidden := guarded_names(task.source, code):
        return f"Do not guard with if/try: the cell must still do {', '.join(hidden)} every time. {work}"
    if dropped := dropped_names(task.source, code):
        return f"Do not drop the cell's work: it must still do {', '.join(dropped)}. {work}"
    if made_up := recreated_names(task.source, code, task.earlier):
        names = ", ".join(made_up)
        return (
            f"Do not make up data: {names} already holds what the earlier cells made. Use it as it is, or convert "
            f"it ({made_up[0]} = … {made_up[0]} …), never replace it with new values. {work}"
        )
    if stale := stale_names(task.source, code, task.earlier_defined):
        names = ", ".join(stale)
        return f"Keep what the cell needs in it: it must define {names} itself (import or assign it), as it did."
    return None


async def unset_names(reader: KernelReader, names: set[str]) -> list[str]:
    """Those of ``names`` the kernel does not hold (by a silent read); [] when it cannot say."""
    wanted = sorted(n for n in names if n.isidentifier())
    if not wanted:
        return []
    text = await reader.evaluate(f"[n for n in {wanted!r} if n not in get_ipython().user_ns]")
    try:
        unset = ast.literal_eval(text) if text else []
    except (ValueError, SyntaxError):
        return []
    return [n for n in wanted if n in unset]


async def read_kernel(task: FixTask, reader: KernelReader) -> FixTask:
    """``task`` with what the kernel says: the variables the cell uses and the objects its failing line calls."""
    if task.language != "python":
        return task
    variables = await describe_variables(reader, used_names(task.source))
    facts = await kernel_facts(reader, task.source, task.failure) if task.aids.kernel_facts else ""
    return dataclasses.replace(task, variables=variables or task.variables, facts=facts)


async def fix_cell(
    engine: Engine,
    executor: Executor,
    task: FixTask,
    max_rounds: int = 3,
    callbacks: LoopCallbacks | None = None,
    max_tokens: int = 768,
    reader: KernelReader | None = None,
    candidates: int = 1,
    in_copy: bool = False,
    own_kernel: bool = False,
) -> FixOutcome:
    """Propose, run and refine fixes for ``task`` until one runs cleanly and keeps doing the cell's work. With a
    ``reader`` on the kernel the code runs in, the prompt carries what the kernel says, and runs are checked there.
    ``candidates`` answers are tried per round where trying is safe (see :attr:`LoopPolicy.candidates`): ``in_copy``,
    in copies of the ``reader``'s kernel, proposing only one that passed there (see ``trial.py``); else in the kernel
    itself, which must then be the fixer's own. ``own_kernel``: the kernel is the fixer's own, so candidates that
    cannot be tried in a copy run in it. Cancel by cancelling the awaiting task."""
    if len(task.source) > MAX_CELL_CHARS:
        message = f"The cell is too long to fix ({len(task.source)} characters, at most {MAX_CELL_CHARS}): split it."
        return FixOutcome("failed", task.source, [], message)
    if reader is not None:
        task = await read_kernel(task, reader)
    result = await run_loop(
        engine,
        executor,
        build_fix_prompt(task),
        fix_policy(task, reader, candidates, in_copy, own_kernel),
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
        "unchanged": "The model kept proposing code that fails, or that hides the error or drops the cell's work.",
        "failed": f"No fix passed within {max_rounds} rounds.",
    }[status]
    return FixOutcome(status, task.source, result.rounds, message)
