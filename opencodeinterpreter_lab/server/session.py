"""One WebSocket connection's requests: chats, fixes and tasks, started, relayed, cancelled by id.

Transport-agnostic: the WebSocket handler feeds raw messages in and gives a ``send`` callable for replies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from .. import protocol as wire
from ..completion.prompt import CompletionRequest
from ..completion.service import InlineCompletions
from ..engine.base import ChatMessage, Engine, EngineError, Timings, Usage
from ..loop.causefix import CauseFix, fix_in_cause
from ..loop.cells import cause_cell
from ..loop.core import LoopCallbacks, Round
from ..loop.execution import ExecutionResult
from ..loop.fixer import CANDIDATES, FixOutcome, FixTask, fix_cell
from ..loop.task import TaskOutcome, run_task
from ..protocol import (
    CancelRequest,
    ChatRequest,
    ClientRequest,
    CompleteRequest,
    ExecutionResultMessage,
    FixRequest,
    ProtocolError,
    TaskRequest,
    parse_client_message,
)
from .kernels import LiveKernelReader

log = logging.getLogger(__name__)

Json = dict[str, Any]
Send = Callable[[Json], None]
"""Deliver one message to the client; must not raise (a closed connection is the transport's business)."""
LoopSummary = tuple[Usage, list[Round], wire.FixOutcome | wire.TaskOutcome]
"""A finished loop's usage, rounds and outcome (as sent in ``done``)."""


@dataclass(frozen=True)
class GenerationDefaults:
    max_tokens: int = 1024
    temperature: float = 0.2
    system_prompt: str = ""
    fix_rounds: int = 3
    fix_candidates: int = CANDIDATES
    task_rounds: int = 5


class LiveNotebookExecutor:
    """Runs proposals in the user's live kernel: the client runs each ``proposal`` and answers for its round."""

    def __init__(self) -> None:
        self.round = 0
        """The round whose proposal was sent last: the one the next ``execute`` waits for."""
        self._pending: dict[int, asyncio.Future[ExecutionResult]] = {}

    async def execute(self, code: str) -> ExecutionResult:
        future: asyncio.Future[ExecutionResult] = asyncio.get_running_loop().create_future()
        self._pending[self.round] = future
        try:
            result: ExecutionResult = await future
            return result
        finally:
            self._pending.pop(self.round, None)

    def deliver(self, message: ExecutionResultMessage) -> bool:
        """Resolve the round the client ran; False when no such round is waiting."""
        future = self._pending.get(message.round)
        if future is None or future.done():
            return False
        future.set_result(ExecutionResult(message.status, message.outputs, message.message))
        return True


@dataclass
class _Request:
    task: asyncio.Task[None]
    cancel: Callable[[], object]
    executor: LiveNotebookExecutor | None = None


KernelReaders = Callable[[str], LiveKernelReader | None]
"""A reader on the kernel with this id, when the user may use kernels."""


class ChatSession:
    def __init__(
        self,
        engine: Engine,
        defaults: GenerationDefaults,
        send: Send,
        kernels: KernelReaders | None = None,
        completions: InlineCompletions | None = None,
    ) -> None:
        self._engine = engine
        self._defaults = defaults
        self._send = send
        self._kernels = kernels
        self._completions = completions
        self._requests: dict[str, _Request] = {}
        self._completion = ""
        """The id of the latest inline completion: a newer one makes it stale."""

    def handle(self, raw: str | bytes) -> None:
        """Act on one client message; problems are answered with an ``error`` message, never raised."""
        try:
            message = parse_client_message(raw)
        except ProtocolError as e:
            self._send(_error(e.request_id, str(e)))
            return
        try:
            self._dispatch(message)
        except Exception as e:  # a bug of ours: the request fails, the connection and its other requests live on
            log.exception("Could not start %s request %r", message.type, message.id)
            self._send(_error(message.id, _internal_error(e)))

    def _dispatch(self, message: ClientRequest) -> None:
        if isinstance(message, CancelRequest):
            self.cancel(message.id)
        elif isinstance(message, ExecutionResultMessage):
            self._deliver(message)
        elif message.id in self._requests:
            self._send(_error(message.id, f"A request with id {message.id!r} is already in flight."))
        elif isinstance(message, ChatRequest):
            self._start_chat(message)
        elif isinstance(message, TaskRequest):
            self._start_task(message)
        elif isinstance(message, CompleteRequest):
            self._start_completion(message)
        else:
            self._start_fix(message)

    def cancel(self, request_id: str) -> None:
        """Cancel a request in flight; unknown or finished ids are ignored (the request already ended)."""
        if request_id in self._requests:
            self._requests[request_id].cancel()

    def close(self) -> None:
        """The client went away: stop everything it started."""
        for request in list(self._requests.values()):
            request.cancel()

    # ---- chat ---------------------------------------------------------------------------------------------------
    def _start_chat(self, request: ChatRequest) -> None:
        messages: list[ChatMessage] = [{"role": m.role, "content": m.content} for m in request.messages]
        if self._defaults.system_prompt and messages[0]["role"] != "system":
            messages.insert(0, {"role": "system", "content": self._defaults.system_prompt})
        generation = self._engine.generate(
            messages,
            max_tokens=request.max_tokens or self._defaults.max_tokens,
            temperature=self._defaults.temperature if request.temperature is None else request.temperature,
        )

        async def relay() -> Json:
            async for text in generation:
                self._send(_token(request.id, text))
            return _done(request.id, generation.usage, generation.timings, generation.cancelled)

        self._track(request.id, relay(), generation.cancel)

    # ---- inline completions -----------------------------------------------------------------------------------
    def _start_completion(self, request: CompleteRequest) -> None:
        self.cancel(self._completion)  # the user typed on: the older suggestion is stale
        self._completion = request.id
        completions = self._completions
        wanted = CompletionRequest(request.prefix, request.suffix, tuple(request.context), request.max_lines)

        async def relay() -> Json:
            if completions is None:
                raise EngineError("Inline completions are not available on this server.")
            async for text in completions.ghost_text(wanted, request.model):
                self._send(_token(request.id, text))
            return _done(request.id, Usage(), Timings(), cancelled=False)

        self._track(request.id, relay())

    # ---- loops that run code in the live notebook ----------------------------------------------------------------
    def _start_fix(self, request: FixRequest) -> None:
        failure = ExecutionResult("error", request.cell.outputs)
        task = FixTask(request.cell.source, failure, request.context, request.variables, language=request.language)
        max_rounds = request.max_rounds or self._defaults.fix_rounds
        candidates = request.candidates or self._defaults.fix_candidates
        reader = self._kernels(request.kernel_id) if self._kernels and request.kernel_id else None

        async def run(executor: LiveNotebookExecutor, callbacks: LoopCallbacks) -> LoopSummary:
            try:
                # Candidates are tried in copies of the user's kernel, never in it (see loop/trial.py).
                outcome = await fix_cell(
                    self._engine,
                    executor,
                    task,
                    max_rounds,
                    callbacks,
                    reader=reader,
                    candidates=candidates,
                    in_copy=True,
                )
            finally:
                if reader is not None:
                    reader.close()
            python_fix = request.language == "python" and outcome.status == "fixed"
            cause = cause_cell(request.context, task.source, outcome.source) if python_fix else None
            moved = fix_in_cause(request.context, task.source, outcome.source) if cause else None
            return outcome.usage, outcome.rounds, fix_outcome(outcome, cause, moved)

        self._start_loop(request.id, run)

    def _start_task(self, request: TaskRequest) -> None:
        conversation: list[ChatMessage] = [{"role": m.role, "content": m.content} for m in request.messages]
        max_rounds = request.max_rounds or self._defaults.task_rounds
        max_tokens = request.max_tokens or self._defaults.max_tokens
        temperature = self._defaults.temperature if request.temperature is None else request.temperature

        async def run(executor: LiveNotebookExecutor, callbacks: LoopCallbacks) -> LoopSummary:
            outcome = await run_task(
                self._engine, executor, conversation, max_rounds, request.language, callbacks, max_tokens, temperature
            )
            return outcome.loop.usage, outcome.loop.rounds, task_outcome(outcome)

        self._start_loop(request.id, run)

    def _start_loop(
        self, request_id: str, run: Callable[[LiveNotebookExecutor, LoopCallbacks], Awaitable[LoopSummary]]
    ) -> None:
        """Run a loop whose code the client executes: relay its tokens and proposals, then its outcome."""
        executor = LiveNotebookExecutor()

        def propose(loop_round: Round) -> None:
            executor.round = loop_round.number
            self._send(_proposal(request_id, loop_round))

        callbacks = LoopCallbacks(
            on_token=lambda number, text: self._send(_token(request_id, text, number)),
            on_proposal=propose,
        )

        async def relay() -> Json:
            usage, rounds, outcome = await run(executor, callbacks)
            timings = Timings(first_token_s=rounds[0].first_token_s if rounds else None)
            return _done(request_id, usage, timings, False, outcome)

        self._track(request_id, relay(), executor=executor)

    def _deliver(self, message: ExecutionResultMessage) -> None:
        request = self._requests.get(message.id)
        if request is None or request.executor is None or not request.executor.deliver(message):
            self._send(_error(message.id, f"No request {message.id!r} is waiting for round {message.round}."))

    def _track(
        self,
        request_id: str,
        work: Coroutine[Any, Any, Json],
        cancel: Callable[[], None] | None = None,
        executor: LiveNotebookExecutor | None = None,
    ) -> None:
        """Run ``work`` as the request ``request_id`` and send what it returns (its ``done``); ``cancel`` defaults to
        cancelling its task. The one error boundary: whatever happens, the request ends with exactly one ``done``
        (cancelled, for a cancelled task: Stop, Discard, Apply without running, Skip) or ``error``."""

        async def bounded() -> None:
            try:
                final = await work
            except asyncio.CancelledError:
                final = _done(request_id, Usage(), Timings(), cancelled=True)
            except EngineError as e:
                final = _error(request_id, str(e))
            except Exception as e:  # a bug of ours: say so for this request only
                log.exception("Request %r failed", request_id)
                final = _error(request_id, _internal_error(e))
            self._send(final)

        task = asyncio.create_task(bounded())
        self._requests[request_id] = _Request(task, cancel or task.cancel, executor)

        def forget(_: asyncio.Task[None]) -> None:
            if request_id in self._requests and self._requests[request_id].task is task:
                del self._requests[request_id]

        task.add_done_callback(forget)


def _token(request_id: str, text: str, round_number: int | None = None) -> Json:
    return wire.wire(wire.TokenMessage(type="token", id=request_id, text=text, round=round_number))


def _error(request_id: str | None, message: str) -> Json:
    return wire.wire(wire.ErrorMessage(id=request_id, message=message))


def _done(
    request_id: str,
    usage: Usage,
    timings: Timings,
    cancelled: bool,
    outcome: wire.FixOutcome | wire.TaskOutcome | None = None,
) -> Json:
    return wire.wire(
        wire.DoneMessage(
            id=request_id,
            usage=wire.Usage(prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens),
            timings=wire.Timings(first_token_s=timings.first_token_s, tokens_per_second=timings.tokens_per_second),
            cancelled=cancelled,
            outcome=outcome,
        )
    )


def _proposal(request_id: str, loop_round: Round) -> Json:
    assert loop_round.code is not None
    message = wire.ProposalMessage(
        id=request_id,
        round=loop_round.number,
        code=loop_round.code,
        explanation=loop_round.explanation,
        tried=loop_round.tried is not None,  # and passed there: what failed there is not proposed
        preview=loop_round.tried.preview() if loop_round.tried is not None else "",
    )
    return wire.wire(message)


def fix_outcome(
    outcome: FixOutcome, cause: tuple[int, list[str]] | None = None, moved: CauseFix | None = None
) -> wire.FixOutcome:
    """``cause``: the index (in the request's ``context``) of the cell where the cause probably lay, and the names
    the fix changed that it defines (see :func:`~..loop.cells.cause_cell`); ``moved``: the fix made there."""
    return wire.FixOutcome(
        status=outcome.status,
        source=outcome.source,
        rounds=len(outcome.rounds),
        message=outcome.message,
        cause=wire.FixCause(
            cell=cause[0],
            names=cause[1],
            cause_source=moved.cause_source if moved else None,
            cell_source=moved.source if moved else None,
        )
        if cause
        else None,
    )


def task_outcome(outcome: TaskOutcome) -> wire.TaskOutcome:
    transcript = [wire.Message(**m) for m in outcome.loop.transcript if m["role"] != "system"]
    return wire.TaskOutcome(
        status=outcome.status,
        rounds=len(outcome.loop.rounds),
        message=outcome.message,
        answer=outcome.answer,
        transcript=transcript,
    )


def _internal_error(error: Exception) -> str:
    return f"The assistant failed on this request ({type(error).__name__}: {error}); other requests go on."
