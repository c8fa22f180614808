"""Switching models while the server runs.

:class:`SwitchableEngine` is the engine everything above sees for the server's lifetime: it forwards to the current
engine, moves every status listener to the next one when the model changes (so every open panel follows), and
records the decode speed of each real generation. :class:`ModelSwitcher` prepares another model (assembles,
downloads, loads) on the side while the current one keeps serving, cancellably, and only then swaps it in.

A request started before the swap finishes on the engine that started it; the old engine is closed once the last of
them ended. Requests started after the swap (including the next round of a fix or task loop) use the new engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from .base import ChatMessage, Engine, EngineError, EngineStatus, Generation, StatusListener
from .catalog import MIN_MEASURED_TOKENS, REMOTE_PREFIX, ModelOption, SpeedLog
from .models import BytesCallback, Cancelled, ModelError, ProgressCallback, resolve_model

log = logging.getLogger(__name__)

DRAIN_TIMEOUT = 600.0
"""Seconds the old engine may go on serving requests it started before it is closed anyway."""


class SwitchableEngine:
    """The current engine, replaceable (see the module's docstring). Implements :class:`~.base.Engine`."""

    def __init__(self, engine: Engine, key: str, speeds: SpeedLog | None = None) -> None:
        self._engine = engine
        self._key = key
        self._speeds = speeds
        self._listeners: dict[int, tuple[StatusListener, Callable[[], None]]] = {}
        self._next_id = 0
        self._in_flight: dict[Generation, Engine] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def current(self) -> Engine:
        return self._engine

    @property
    def key(self) -> str:
        """The current model's key; for a remote engine that picks the first served model, that model's."""
        if self._key == REMOTE_PREFIX:
            return REMOTE_PREFIX + self._engine.status.model
        return self._key

    # ---- the Engine surface, forwarded -------------------------------------------------------------------------
    @property
    def status(self) -> EngineStatus:
        return self._engine.status

    def subscribe(self, listener: StatusListener) -> Callable[[], None]:
        listener_id = self._next_id
        self._next_id += 1
        self._listeners[listener_id] = (listener, self._engine.subscribe(listener))

        def unsubscribe() -> None:
            if entry := self._listeners.pop(listener_id, None):
                entry[1]()

        return unsubscribe

    def start_loading(self) -> None:
        self._engine.start_loading()

    async def ready(self) -> None:
        await self._engine.ready()

    def generate(self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float) -> Generation:
        engine, key = self._engine, self.key
        generation = engine.generate(messages, max_tokens, temperature)
        self._in_flight[generation] = engine
        self._spawn(self._measure(generation, key))
        return generation

    async def close(self) -> None:
        await self._engine.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---- switching ----------------------------------------------------------------------------------------------
    def replace(self, engine: Engine, key: str) -> None:
        """Make ``engine`` the current one: listeners move to it and hear its status; the old engine is closed once
        the requests it serves have ended (see :meth:`retiring`)."""
        old = self._engine
        self._engine, self._key = engine, key
        for listener_id, (listener, unsubscribe) in list(self._listeners.items()):
            unsubscribe()
            self._listeners[listener_id] = (listener, engine.subscribe(listener))
            listener(engine.status)
        self._spawn(self._retire(old))

    async def retiring(self) -> None:
        """Wait until every replaced engine is closed (tests; shutdown)."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _retire(self, old: Engine) -> None:
        pending = [generation.finished() for generation, engine in self._in_flight.items() if engine is old]
        if pending:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.gather(*pending), DRAIN_TIMEOUT)
        await old.close()

    async def _measure(self, generation: Generation, key: str) -> None:
        try:
            await generation.finished()
        finally:
            self._in_flight.pop(generation, None)
        speed = generation.timings.tokens_per_second
        if self._speeds and speed and generation.usage.completion_tokens >= MIN_MEASURED_TOKENS:
            await asyncio.to_thread(self._speeds.record, key, speed)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


PreparationState = Literal["preparing", "loading"]


@dataclass(frozen=True)
class Preparation:
    """A model being made ready to take over."""

    model: str
    name: str
    state: PreparationState
    message: str
    progress: float | None = None
    bytes_done: int | None = None
    bytes_total: int | None = None


class SwitchInProgress(RuntimeError):
    """Another model is being prepared."""


EngineBuilder = Callable[[ModelOption, Path | None], Engine]
"""Build the engine for an option (its local file resolved beforehand; None for a remote model)."""


class ModelSwitcher:
    """Prepares a model beside the current one and swaps it in (see the module's docstring)."""

    def __init__(self, engine: SwitchableEngine, build: EngineBuilder, cache_dir: Path) -> None:
        self.engine = engine
        self._build = build
        self._cache_dir = cache_dir
        self._lock = threading.Lock()  # guards _preparation, written from the preparing thread
        self._preparation: Preparation | None = None
        self._cancel = threading.Event()
        self._task: asyncio.Task[None] | None = None
        self.error = ""
        """Why the last preparation failed, in one sentence; empty after a success or a cancel."""

    @property
    def preparation(self) -> Preparation | None:
        return self._preparation

    def start(self, option: ModelOption) -> None:
        """Begin preparing ``option`` in the background; raise :class:`SwitchInProgress` if one is under way."""
        if self._task is not None and not self._task.done():
            raise SwitchInProgress(f"{self._preparation.name if self._preparation else 'A model'} is being prepared.")
        self.error = ""
        self._cancel = threading.Event()
        self._update(Preparation(option.key, option.name, "preparing", "Preparing the model", bytes_total=option.size))
        self._task = asyncio.create_task(self._switch(option, self._cancel))

    def cancel(self) -> bool:
        """Stop the preparation under way (the current model stays); False when there is none."""
        if self._task is None or self._task.done():
            return False
        self._cancel.set()
        self._task.cancel()
        return True

    async def wait(self) -> None:
        """Until the preparation under way, if any, has ended (tests)."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._task)

    async def close(self) -> None:
        self.cancel()
        await self.wait()

    async def _switch(self, option: ModelOption, cancel: threading.Event) -> None:
        engine: Engine | None = None
        try:
            path = None
            if option.source != "remote":
                progress, on_bytes = self._progress(cancel)
                path = await asyncio.to_thread(resolve_model, option.choice(), self._cache_dir, progress, on_bytes)
            self._set(state="loading", message="Loading the model", progress=None, bytes_done=None, bytes_total=None)
            engine = self._build(option, path)
            unsubscribe = engine.subscribe(lambda status: self._set(message=status.message or "Loading the model"))
            try:
                await engine.ready()
            finally:
                unsubscribe()
            if cancel.is_set():
                raise Cancelled("Cancelled.")
            self.engine.replace(engine, option.key)
            engine = None
        except (Cancelled, asyncio.CancelledError):
            log.info("Preparing %s was cancelled", option.name)
        except (ModelError, EngineError) as e:
            self.error = str(e)
            log.warning("Could not switch to %s: %s", option.name, e)
        except Exception as e:  # a bug of ours: the current model stays, the user hears why
            log.exception("Could not switch to %s", option.name)
            self.error = f"Could not switch to {option.name} ({type(e).__name__}: {e})."
        finally:
            self._update(None)
            if engine is not None:
                await engine.close()

    def _progress(self, cancel: threading.Event) -> tuple[ProgressCallback, BytesCallback]:
        """The callbacks ``resolve_model`` reports to (from its thread); they stop the work once cancelled."""
        total = [self._preparation.bytes_total if self._preparation else None]

        def progress(message: str, fraction: float | None) -> None:
            if cancel.is_set():
                raise Cancelled("Cancelled.")
            if fraction is not None and total[0]:
                self._set(message=message, progress=fraction, bytes_done=int(fraction * total[0]))
            else:
                self._set(message=message, progress=fraction)

        def on_bytes(done: int, size: int | None) -> None:
            total[0] = size
            self._set(bytes_done=done, bytes_total=size)

        return progress, on_bytes

    def _set(self, **changes: object) -> None:
        with self._lock:
            if self._preparation is not None:
                self._preparation = replace(self._preparation, **changes)  # type: ignore[arg-type]

    def _update(self, preparation: Preparation | None) -> None:
        with self._lock:
            self._preparation = preparation
