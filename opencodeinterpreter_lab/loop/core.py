"""The OpenCodeInterpreter loop: generate code, execute it, read the result back, refine.

One loop for every caller, parameterised by a :class:`LoopPolicy`: the fixer (stop at the first clean run), the
panel's tasks (go on until the model answers without code) and the HumanEval benchmark's self-feedback mode. The
:class:`~.execution.Executor` decides where code runs: the user's live kernel through the panel, or a kernel the
server starts.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..engine.base import ChatMessage, Engine, Usage
from .execution import ExecutionResult, Executor
from .feedback import first_code_block_end, last_code_block, prose, same_code

LoopEnd = Literal["passed", "answered", "no_code", "refused", "max_rounds"]
"""Why the loop ended: a clean run (when the policy stops there); an answer without code (when that ends it); the
last round without code while code was wanted, or with code that was not run (the code that just ran, or code the
policy objected to); or out of rounds."""


@dataclass
class Round:
    number: int
    candidate: int = 1
    """Which of the round's candidates this is (see :attr:`LoopPolicy.candidates`)."""
    answer: str = ""
    code: str | None = None
    first_token_s: float | None = None
    """From the start of the round to its first token."""
    result: ExecutionResult | None = None
    tried: ExecutionResult | None = None
    """What the code did in a copy of the kernel before it was proposed, when it was tried there (see
    :attr:`LoopPolicy.trial`): a failure there is also the round's ``result``; a pass is followed by the real run."""
    usage: Usage = field(default_factory=Usage)
    discarded: list[str] = field(default_factory=list)
    """Earlier answers of this round that could not be run (see :attr:`LoopPolicy.reasks`)."""
    objections: list[str] = field(default_factory=list)
    """Why answers of this round were not run or not accepted, in a few words each."""
    rejected: str | None = None
    """Why a clean run was not accepted (see :attr:`LoopPolicy.judge`), if it was not."""
    left_out: list[str] = field(default_factory=list)
    """Lines of the answer's code that the proposal leaves out: it passed without them (see :attr:`LoopPolicy.trim`)."""

    @property
    def passed(self) -> bool:
        """The round's code ran cleanly and the run was accepted."""
        return self.result is not None and self.result.ok and self.rejected is None

    @property
    def explanation(self) -> str:
        return prose(self.answer)


@dataclass
class LoopResult:
    end: LoopEnd
    rounds: list[Round]
    transcript: list[ChatMessage] = field(default_factory=list)
    """The conversation as the model last saw it, its last answer included: what a follow-up goes on from."""

    @property
    def usage(self) -> Usage:
        return total_usage(self.rounds)

    @property
    def last_run(self) -> Round | None:
        """The last round whose code was executed."""
        return next((r for r in reversed(self.rounds) if r.result is not None), None)


def total_usage(rounds: Sequence[Round]) -> Usage:
    return Usage(
        prompt_tokens=sum(r.usage.prompt_tokens for r in rounds),
        completion_tokens=sum(r.usage.completion_tokens for r in rounds),
    )


@dataclass
class LoopCallbacks:
    """Optional hooks for streaming callers; the defaults do nothing."""

    on_token: Callable[[int, str], None] = lambda round_number, text: None
    on_proposal: Callable[[Round], None] = lambda loop_round: None
    """The round's code is about to be executed."""
    on_result: Callable[[Round], None] = lambda loop_round: None


NO_CODE_RETRY: ChatMessage = {"role": "user", "content": "Reply with the complete code in a fenced code block."}


LastRun = tuple[str, ExecutionResult]
"""The code run last and what it did."""


def append_objection(messages: list[ChatMessage], objection: str, last_run: LastRun | None) -> list[ChatMessage]:
    """The simplest redirect: tell the model, in the conversation."""
    return [*messages, {"role": "user", "content": objection}]


@dataclass(frozen=True)
class LoopPolicy:
    feedback: Callable[[ExecutionResult], ChatMessage] | None
    """The message that tells the model, in the conversation, what running its code did; None to go on from
    ``redirect`` (with no objection) instead: the fixer starts over from its first prompt for the code that failed,
    as small models anchor on their earlier answers."""
    redirect: Callable[[list[ChatMessage], str, LastRun | None], list[ChatMessage]] = append_objection
    """The conversation to go on with when an answer's code is not run, given the objection to it."""
    tidy: Callable[[str], str] = lambda code: code
    """The answer's code as it will be proposed and run (the fixer drops what it pasted from earlier cells)."""
    objection: Callable[[str], str | None] = lambda code: None
    """Why not to run this code, if anything does (beyond repeating the last run, which is never run again)."""
    repeat_objection: Callable[[str], str] = lambda explanation: "That is the code that just ran. Change it."
    """What to tell the model when its answer repeats the code that just ran, given the answer's explanation."""
    stop_when_passed: bool = True
    """Stop at the first clean run (fixes) or feed its output back and go on (tasks)."""
    code_required: bool = True
    """An answer without code is asked again for code (fixes), or is the final answer (tasks)."""
    temperatures: Sequence[float] = (0.0,)
    """Round n samples at ``temperatures[n - 1]``, the last one for later rounds."""
    one_step: bool = False
    """Stop each answer at the end of its first code block, and run that block: what a model writes after its code
    (often the output it expects, in a block of its own) would be made up."""
    refused_temperature: float | None = None
    """At least this temperature for an answer after a refused one: the model repeating itself is stuck."""
    reasks: int = 0
    """How many times an answer that cannot be run (no code, the code that just ran, an objection) is asked again
    within its round. A round runs at most one answer's code; these answers are shown, marked as not run."""
    judge: Callable[[str, ExecutionResult], Awaitable[str | None]] | None = None
    """Why a clean run does not count (it showed nothing where the cell shows something, it left names unset), if
    anything does; the objection goes back to the model as for code that was not run."""
    candidates: int = 1
    """Answers run per round, each sampled for the round's prompt, until one passes, each tried first in a copy of
    the kernel (``trial``): the panel's copies are of the user's kernel, the headless fixer's of a kernel of its own.
    The second and later sample at least at the last of ``temperatures``, and none may be code that already ran."""
    trial: Callable[[str], Awaitable[ExecutionResult | str]] | None = None
    """Runs an answer in a copy of the kernel first (see ``trial.py``): only an answer that passes there is proposed
    and run; one that fails there is refined like a failed run. Where it answers why it could not try (no copy can be
    made), that answer and the later ones are proposed untried, one per round (see ``untried_candidates``)."""
    untried_candidates: bool = False
    """Where ``trial`` cannot make a copy, still run every candidate, untried, in the executor: a kernel of the
    caller's own (the headless fixer), never the user's."""
    trim: Callable[[str, ExecutionResult], Awaitable[tuple[str, ExecutionResult]]] | None = None
    """Given code that passed in a copy and what it did there: the code to propose instead, and what that did in a
    copy (the fixer drops the statements a fix added that it passes without)."""


async def run_loop(
    engine: Engine,
    executor: Executor,
    messages: list[ChatMessage],
    policy: LoopPolicy,
    max_rounds: int,
    language: str = "python",
    callbacks: LoopCallbacks | None = None,
    max_tokens: int = 768,
    last_run: LastRun | None = None,
) -> LoopResult:
    """Generate, run and refine for up to ``max_rounds`` rounds. Cancel by cancelling the awaiting task.

    ``last_run`` is the code already run and its result when the loop starts from a failure (the fixer).
    """
    hooks = callbacks or LoopCallbacks()
    rounds: list[Round] = []
    ran = [last_run[0]] if last_run else []
    refused = False
    trial = policy.trial  # None once no copy can be made: then one proposal per round, untried
    steps = [(n, c) for n in range(1, max_rounds + 1) for c in range(1, policy.candidates + 1)]
    round_start = (messages, last_run)
    for number, candidate in steps:
        if candidate > 1 and policy.trial is not None and trial is None and not policy.untried_candidates:
            continue  # no copy of the kernel: one proposal per round, in the user's kernel
        if candidate == 1:
            round_start = (messages, last_run)
        else:  # another candidate for the round's prompt, not a refinement of the last one
            messages, last_run = round_start
        loop_round = Round(number, candidate)
        rounds.append(loop_round)
        started = time.perf_counter()
        for attempt in range(policy.reasks + 1):
            if attempt:  # the previous answer could not be run: set it aside and ask again within the round
                loop_round.discarded.append(loop_round.answer)
                loop_round.answer = ""
            temperature = policy.temperatures[min(number, len(policy.temperatures)) - 1]
            if candidate > 1:
                temperature = max(temperature, policy.temperatures[-1])
            if refused and policy.refused_temperature is not None:
                temperature = max(temperature, policy.refused_temperature)
            await _answer(engine, messages, loop_round, policy, max_tokens, temperature, started, hooks)
            loop_round.code = last_code_block(loop_round.answer, language)
            if loop_round.code is not None:
                loop_round.code = policy.tidy(loop_round.code)
            if loop_round.code is None:
                if not policy.code_required:
                    return _ended("answered", rounds, messages)
                messages = [*messages, {"role": "assistant", "content": loop_round.answer}, NO_CODE_RETRY]
                reason = "no code"
            else:
                objection, reason = _objection(loop_round.code, loop_round.explanation, policy, ran)
                refused = objection is not None
                if objection is None:
                    break
                messages = policy.redirect(messages, objection, last_run)
            loop_round.objections.append(reason)
            if attempt < policy.reasks:
                hooks.on_token(number, f"\n\n*Not run: {reason}. Asking again.*\n\n")
        else:
            continue  # no answer of this round could be run
        assert loop_round.code is not None
        ran.append(loop_round.code)
        if trial is not None:
            tried = await trial(loop_round.code)
            if isinstance(tried, str):
                trial = None
                hooks.on_token(number, f"\n\n*Not tried in a copy of the kernel: {tried}.*\n\n")
            else:
                loop_round.tried = tried
                await _judge(policy, loop_round, tried)
                note = "Passed" if loop_round.passed else f"Not proposed: {_failed(loop_round)}"
                hooks.on_token(number, f"\n\n*{note} in a copy of the kernel.*\n\n")
                if loop_round.passed and policy.trim is not None:
                    await _trim(policy.trim, loop_round, hooks)
                    ran.append(loop_round.code)
        if loop_round.result is None or loop_round.passed:  # untried, or passed in the copy: run it for real
            hooks.on_proposal(loop_round)
            await _judge(policy, loop_round, await executor.execute(loop_round.code))
            hooks.on_result(loop_round)
            if loop_round.rejected is not None:  # ran, but did not do the work: like code that was not run
                hooks.on_token(number, f"\n\n*Ran, but not accepted: {_reason(loop_round.rejected)}.*\n\n")
        if loop_round.rejected is not None:
            messages = policy.redirect(messages, loop_round.rejected, last_run)
            continue
        assert loop_round.result is not None
        if loop_round.result.ok and policy.stop_when_passed:
            return _ended("passed", rounds, messages)
        last_run = (loop_round.code, loop_round.result)
        if policy.feedback is None:
            messages = policy.redirect(messages, "", last_run)
        else:
            feedback = policy.feedback(loop_round.result)
            messages = [*messages, {"role": "assistant", "content": loop_round.answer}, feedback]
    last = rounds[-1]
    if last.code is None:
        return _ended("no_code", rounds, messages)
    return _ended("refused" if last.result is None or last.rejected else "max_rounds", rounds, messages)


def _ended(end: LoopEnd, rounds: list[Round], messages: list[ChatMessage]) -> LoopResult:
    answer = rounds[-1].answer if rounds else ""
    if answer and {"role": "assistant", "content": answer} not in messages:
        messages = [*messages, {"role": "assistant", "content": answer}]
    return LoopResult(end, rounds, messages)


def _objection(code: str, explanation: str, policy: LoopPolicy, ran: Sequence[str]) -> tuple[str | None, str]:
    """Why not to run ``code``: the message for the model and a few words for the user; None to run it. Code that
    already ran in this loop never runs again."""
    if ran and same_code(code, ran[-1]):
        return policy.repeat_objection(explanation), "the code that just ran, again"
    if any(same_code(code, earlier) for earlier in ran):
        return policy.repeat_objection(explanation), "code that already ran, again"
    objection = policy.objection(code)
    return objection, _reason(objection or "")


async def _judge(policy: LoopPolicy, loop_round: Round, result: ExecutionResult) -> None:
    """Record the round's run, and why a clean run does not count, if anything does (among its objections)."""
    loop_round.result = result
    loop_round.rejected = await policy.judge(loop_round.code or "", result) if result.ok and policy.judge else None
    if loop_round.rejected is not None:
        loop_round.objections.append("ran but " + _reason(loop_round.rejected))


async def _trim(
    trim: Callable[[str, ExecutionResult], Awaitable[tuple[str, ExecutionResult]]],
    loop_round: Round,
    hooks: LoopCallbacks,
) -> None:
    """Propose the round's passing code as ``trim`` has it, and say what it left out."""
    assert loop_round.code is not None and loop_round.tried is not None
    code, tried = await trim(loop_round.code, loop_round.tried)
    if code == loop_round.code:
        return
    diff = difflib.ndiff(loop_round.code.split("\n"), code.split("\n"))
    removed = (line[2:].strip() for line in diff if line.startswith("- "))
    dropped = [line for line in removed if line and not line.startswith("#")]
    loop_round.code, loop_round.tried, loop_round.result, loop_round.left_out = code, tried, tried, dropped
    shown = "; ".join(f"`{line if len(line) <= 60 else line[:57] + '...'}`" for line in dropped[:3])
    hooks.on_token(loop_round.number, f"\n\n*It also passes without {shown}: proposed without.*\n\n")


def _failed(loop_round: Round) -> str:
    """What went wrong with a round's run, in a few words: ``it raised NameError``, ``it ran but do not …``."""
    if loop_round.rejected is not None:
        return "it ran but " + _reason(loop_round.rejected)
    error = loop_round.result.error if loop_round.result is not None else None
    return f"it raised {error.ename}" if error is not None else "it did not finish"


def _reason(objection: str) -> str:
    """The few words of an objection shown to the user."""
    return objection.split(":")[0].split(". ")[0].lower()


async def _answer(
    engine: Engine,
    messages: list[ChatMessage],
    loop_round: Round,
    policy: LoopPolicy,
    max_tokens: int,
    temperature: float,
    started: float,
    hooks: LoopCallbacks,
) -> None:
    """Stream one answer into ``loop_round`` (its answer, first-token time and usage)."""
    generation = engine.generate(messages, max_tokens=max_tokens, temperature=temperature)
    async for piece in generation:
        if loop_round.first_token_s is None:
            loop_round.first_token_s = time.perf_counter() - started
        loop_round.answer += piece
        hooks.on_token(loop_round.number, piece)
        if policy.one_step and "`" in piece and (end := first_code_block_end(loop_round.answer)) is not None:
            loop_round.answer = loop_round.answer[:end]
            generation.cancel()
            break
    loop_round.usage = Usage(
        prompt_tokens=loop_round.usage.prompt_tokens + generation.usage.prompt_tokens,
        completion_tokens=loop_round.usage.completion_tokens + generation.usage.completion_tokens,
    )
