"""The engine's surface: what the loop, the chat session, the CLI and the benchmarks use of either engine.

Two implementations: :class:`~.llama.LlamaEngine` runs a GGUF in this process; :class:`~.remote.RemoteEngine`
streams from an OpenAI-compatible server (vLLM, llama.cpp's server, Ollama). Nothing above the engine knows which
one runs. Both hand out a :class:`Generation`: an async iterator of text pieces with ``cancel()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, Protocol, TypedDict

EngineState = Literal["absent", "loading", "ready", "error"]
ModelSource = Literal["path", "hub", "embedded", "remote"]


class ChatMessage(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


class EngineError(RuntimeError):
    """A request could not be served; the message is meant for the user."""


@dataclass(frozen=True)
class EngineStatus:
    model: str
    source: ModelSource
    state: EngineState
    progress: float | None
    message: str
    n_ctx: int
    n_threads: int = 0
    n_gpu_layers: int = 0
    gpu_offload: bool = False
    endpoint: str = ""
    """The remote server's URL (without credentials); empty for the in-process engine."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class Timings:
    first_token_s: float | None = None
    """From the start of this request's turn (after any queue wait or load) to its first token."""
    tokens_per_second: float | None = None
    """Decode speed: completion tokens after the first, over the time they took."""


StatusListener = Callable[[EngineStatus], None]
_END = object()


@dataclass(eq=False)
class Generation:
    """One request: iterate it for text pieces; ``usage``/``timings``/``cancelled`` are final once it ends.

    The engine feeds it with ``_put`` (from any thread) and calls ``_finish`` once, whatever happened.
    """

    messages: Sequence[ChatMessage]
    max_tokens: int
    temperature: float
    loop: asyncio.AbstractEventLoop
    usage: Usage = field(default_factory=Usage)
    timings: Timings = field(default_factory=Timings)
    on_cancel: Callable[[], object] | None = None
    """Called on the event loop by ``cancel()``: how an engine stops work that is not polling ``cancelled``."""
    _queue: asyncio.Queue[object] = field(default_factory=asyncio.Queue)
    _cancel: threading.Event = field(default_factory=threading.Event)
    _finished: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Stop generating: a queued request never starts, a running one stops within a token."""
        if not self._cancel.is_set():
            self._cancel.set()
            if self.on_cancel is not None:
                self.on_cancel()

    async def finished(self) -> None:
        """Wait until the engine is done with this request (ended, failed or cancelled), listened to or not."""
        await self._finished.wait()

    async def __aiter__(self) -> AsyncIterator[str]:
        ended = False
        try:
            while (item := await self._queue.get()) is not _END:
                if isinstance(item, BaseException):
                    ended = True
                    raise item
                assert isinstance(item, str)
                yield item
            ended = True
        finally:
            if not ended:  # a consumer that stopped listening must not keep the engine busy
                self.cancel()

    # Called by the engine, from its thread or the event loop.
    def _put(self, item: object) -> None:
        try:
            self.loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self._cancel.set()

    def _finish(self) -> None:
        self._put(_END)
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
            self.loop.call_soon_threadsafe(self._finished.set)


class Engine(Protocol):
    """What everything above the engine uses."""

    @property
    def status(self) -> EngineStatus: ...

    def subscribe(self, listener: StatusListener) -> Callable[[], None]:
        """Call ``listener`` on the current event loop whenever the status changes; returns the unsubscribe."""
        ...

    def start_loading(self) -> None:
        """Get ready in the background (load the model, reach the server) unless ready or on the way."""
        ...

    async def ready(self) -> None:
        """Wait until ready; raise :class:`EngineError` with the reason when the engine cannot be."""
        ...

    def generate(self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float) -> Generation:
        """Start a chat completion; iterate the result for its text pieces."""
        ...

    async def close(self) -> None:
        """Cancel every request and free what the engine holds; never raises."""
        ...


class StatusBoard:
    """An engine's status and its listeners, each called on its own event loop (thread-safe)."""

    def __init__(self, status: EngineStatus) -> None:
        self._lock = threading.Lock()
        self._status = status
        self._listeners: list[tuple[asyncio.AbstractEventLoop, StatusListener]] = []

    @property
    def status(self) -> EngineStatus:
        return self._status

    def subscribe(self, listener: StatusListener) -> Callable[[], None]:
        entry = (asyncio.get_running_loop(), listener)
        with self._lock:
            self._listeners.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._listeners:
                    self._listeners.remove(entry)

        return unsubscribe

    def update(self, **changes: Any) -> None:
        with self._lock:
            self._status = status = replace(self._status, **changes)
            listeners = list(self._listeners)
        for loop, listener in listeners:
            with contextlib.suppress(RuntimeError):  # that loop is closed
                loop.call_soon_threadsafe(listener, status)
