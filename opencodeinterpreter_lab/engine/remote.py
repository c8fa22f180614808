"""The remote engine: chat completions streamed from an existing OpenAI-compatible server.

vLLM, llama.cpp's ``llama-server``, llama-cpp-python's ``python -m llama_cpp.server`` and Ollama all serve
``/v1/models`` and streaming ``/v1/chat/completions``. This engine talks to them with the ``openai`` package's
async client (its SSE parsing, its error types) on the event loop: nothing blocks, and requests run concurrently up
to ``max_concurrent`` (the server batches them; scheduling is its job, not ours). Cancelling a generation cancels
its task, which closes the HTTP stream, so the server stops generating.

"Ready" means the server answered ``/models`` and serves the configured model; a failed request turns the status
to ``error`` with the reason, and the next request probes the server again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import openai
from openai.types.chat import ChatCompletionMessageParam

from .base import ChatMessage, EngineError, EngineStatus, Generation, StatusBoard, StatusListener

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
"""Seconds to open a connection: an unreachable server is reported quickly whatever the request timeout."""


@dataclass(frozen=True)
class RemoteConfig:
    base_url: str
    """The API root, e.g. ``http://gpu-box:8000/v1``."""
    model: str = ""
    """The served model's name; empty: the first model the server lists."""
    api_key: str = ""
    timeout: float = 60.0
    """Seconds to wait for the server's next bytes (its first token included) before giving up."""
    max_concurrent: int = 8
    n_ctx: int = 8192
    """The context window to assume when the server does not report one."""

    @property
    def endpoint(self) -> str:
        """``base_url`` without credentials: what may be shown and logged."""
        parts = urlsplit(self.base_url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def config_problem(base_url: str) -> str:
    """Why ``base_url`` cannot be an OpenAI-compatible API root, or ``""``."""
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 (raises ValueError for a malformed port)
    except ValueError as e:
        return f"base_url {base_url!r} is not a valid URL ({e})."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"base_url {base_url!r} is not an http(s) URL such as http://gpu-box:8000/v1."
    return ""


class _Connection:
    """The HTTP client and the concurrency limit, which belong to one event loop."""

    def __init__(self, config: RemoteConfig) -> None:
        self.loop = asyncio.get_running_loop()
        self.client = openai.AsyncOpenAI(
            base_url=config.base_url,
            api_key=config.api_key or "unused",  # servers started without a key ignore it
            timeout=openai.Timeout(config.timeout, connect=min(CONNECT_TIMEOUT, config.timeout)),
            max_retries=0,  # a retry would hide the cause and double the wait
        )
        self.slots = asyncio.Semaphore(config.max_concurrent)


class RemoteEngine:
    """An OpenAI-compatible server as the engine (see the module's docstring)."""

    def __init__(self, config: RemoteConfig) -> None:
        self.config = config
        self._model = config.model
        self._board = StatusBoard(
            EngineStatus(
                model=config.model or config.endpoint,
                source="remote",
                state="absent",
                progress=None,
                message="",
                n_ctx=config.n_ctx,
                endpoint=config.endpoint,
            )
        )
        self._connection: _Connection | None = None
        self._probe: asyncio.Task[None] | None = None
        self._in_flight: set[Generation] = set()

    # ---- status -------------------------------------------------------------------------------------------------
    @property
    def status(self) -> EngineStatus:
        return self._board.status

    def subscribe(self, listener: StatusListener) -> Callable[[], None]:
        return self._board.subscribe(listener)

    # ---- reaching the server ------------------------------------------------------------------------------------
    def start_loading(self) -> None:
        """Ask the server for its models in the background, unless it already answered or is being asked."""
        if self.status.state != "ready":
            self._probing()

    async def ready(self) -> None:
        if self.status.state != "ready":
            await asyncio.shield(self._probing())  # one request giving up must not cancel the others' probe
        status = self.status
        if status.state != "ready":
            raise EngineError(status.message)

    def _probing(self) -> asyncio.Task[None]:
        loop = asyncio.get_running_loop()
        if self._probe is None or self._probe.done() or self._probe.get_loop() is not loop:
            self._probe = loop.create_task(self._ask_for_models())
        return self._probe

    async def _ask_for_models(self) -> None:
        where = self.config.endpoint
        self._board.update(state="loading", progress=None, message=f"Connecting to {where}")
        try:
            models = [model async for model in self._connected().client.models.list()]
        except Exception as e:
            self._explain(e, probing=True)  # sets the status to error with the reason
            return
        names = [model.id for model in models]
        if not self._model:
            if not names:
                self._fail(f"The model server at {where} serves no model.")
                return
            self._model = names[0]
        elif self._model not in names:
            served = ", ".join(names) or "none"
            self._fail(f"The model server at {where} has no model named {self._model!r}; it serves: {served}.")
            return
        served_model = next(model for model in models if model.id == self._model)
        n_ctx = _context_length(served_model.model_extra or {}) or self.config.n_ctx
        self._board.update(model=self._model, state="ready", message="", n_ctx=n_ctx)

    def _fail(self, reason: str) -> None:
        log.error("OpenCodeInterpreter model server: %s", reason)
        self._board.update(state="error", progress=None, message=reason)

    def _connected(self) -> _Connection:
        """The client and concurrency limit of the running event loop."""
        if self._connection is None or self._connection.loop is not asyncio.get_running_loop():
            self._connection = _Connection(self.config)
        return self._connection

    # ---- generation ---------------------------------------------------------------------------------------------
    def generate(self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float) -> Generation:
        """Start a streamed chat completion; iterate the result for its text pieces."""
        generation = Generation(
            messages=messages, max_tokens=max_tokens, temperature=temperature, loop=asyncio.get_running_loop()
        )
        return self._start(generation, self._stream(generation))

    def fill(self, prompt: str, max_tokens: int) -> Generation:
        """Start a streamed plain-text completion of ``prompt`` as it is (e.g. a fill-in-the-middle prompt with
        the model's own special tokens), greedy; iterate the result for its text pieces."""
        generation = Generation(messages=(), max_tokens=max_tokens, temperature=0.0, loop=asyncio.get_running_loop())
        return self._start(generation, self._stream_text(generation, prompt))

    def _start(self, generation: Generation, stream: Coroutine[Any, Any, None]) -> Generation:
        task = generation.loop.create_task(self._run(generation, stream))
        generation.on_cancel = task.cancel
        self._in_flight.add(generation)
        return generation

    async def _run(self, generation: Generation, stream: Coroutine[Any, Any, None]) -> None:
        """Serve one request from start to end, always finishing its stream."""
        try:
            async with self._connected().slots:
                await self.ready()
                await stream
        except asyncio.CancelledError:
            pass  # cancelled: the stream is closed, the server stops
        except EngineError as e:
            generation._put(e)
        except Exception as e:
            reason = self._explain(e)
            if not _is_answer_error(e):
                log.exception("Remote generation failed")
            generation._put(EngineError(reason))
        finally:
            stream.close()  # never awaited when cancelled before it started
            self._in_flight.discard(generation)
            generation._finish()

    async def _stream_text(self, generation: Generation, prompt: str) -> None:
        started = time.perf_counter()
        stream = await self._connected().client.completions.create(
            model=self._model, prompt=prompt, max_tokens=generation.max_tokens, temperature=0.0, stream=True
        )
        async with stream:
            async for chunk in stream:
                for choice in chunk.choices or ():
                    if choice.text:
                        if not generation.usage.completion_tokens:
                            generation.timings.first_token_s = time.perf_counter() - started
                        generation.usage.completion_tokens += 1
                        generation._put(choice.text)

    async def _stream(self, generation: Generation) -> None:
        started = time.perf_counter()
        first_token_at = last_token_at = 0.0
        pieces = 0
        complete = False
        stream = await self._connected().client.chat.completions.create(
            model=self._model,
            messages=cast("list[ChatCompletionMessageParam]", list(generation.messages)),
            max_tokens=generation.max_tokens,
            temperature=generation.temperature,
            stream=True,
            stream_options={"include_usage": True},
        )
        async with stream:  # leaving it (also on cancel) closes the HTTP response
            async for chunk in stream:
                if chunk.usage is not None:
                    generation.usage.prompt_tokens = chunk.usage.prompt_tokens
                    generation.usage.completion_tokens = chunk.usage.completion_tokens
                for choice in chunk.choices or ():
                    complete = complete or choice.finish_reason is not None
                    if text := choice.delta.content if choice.delta else None:
                        last_token_at = time.perf_counter()
                        if not pieces:
                            first_token_at = last_token_at
                            generation.timings.first_token_s = first_token_at - started
                        pieces += 1
                        generation._put(text)
        if not complete:  # e.g. llama_cpp.server failing on a prompt longer than its context: the stream just ends
            raise EngineError(
                f"The model server at {self.config.endpoint} ended the answer before it was complete "
                "(a conversation longer than its context does this; the server's log says why)."
            )
        # Servers that send no usage: each streamed piece is one token (true of all four servers named above).
        generation.usage.completion_tokens = generation.usage.completion_tokens or pieces
        if pieces > 1:
            generation.timings.tokens_per_second = (pieces - 1) / (last_token_at - first_token_at)

    def _explain(self, error: Exception, probing: bool = False) -> str:
        """One sentence naming the cause; connection-level failures also turn the status to ``error``."""
        where = f"the model server at {self.config.endpoint}"
        server = f"The model server at {self.config.endpoint}"
        detail = _detail(error)
        if isinstance(error, openai.APITimeoutError):
            reason = f"No answer from {where} within {self.config.timeout:g} s (c.OpenCodeInterpreter.request_timeout)."
        elif isinstance(error, openai.APIConnectionError):
            reason = f"Cannot reach {where} ({_cause(error)}). Is it running, and is base_url right?"
        elif isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
            reason = (
                f"{server} refused the API key (HTTP {error.status_code}). Set "
                "c.OpenCodeInterpreter.api_key or the OPENCODEINTERPRETER_API_KEY environment variable."
            )
        elif isinstance(error, openai.NotFoundError):
            reason = (
                f"{server} has no OpenAI-compatible API at this URL (HTTP 404 for /models); "
                "such URLs usually end in /v1."
                if probing
                else f"{server} has no model named {self._model!r} (HTTP 404)."
            )
        elif isinstance(error, openai.BadRequestError) and "context" in detail.lower():
            reason = f"The conversation is too long for the model's context ({detail}). Clear it or shorten it."
        elif isinstance(error, openai.APIStatusError):
            reason = f"{server} answered HTTP {error.status_code}: {detail}"
        elif isinstance(error, openai.APIError):  # an error event inside the stream
            reason = f"{server} failed mid-answer: {detail}"
        elif _is_transport_error(error):
            reason = f"The connection to {where} broke mid-answer ({_cause(error)})."
        else:  # non-JSON, or JSON of an unexpected shape
            reason = f"{server} answered something unlike the OpenAI API ({type(error).__name__}: {detail})."
        if probing or isinstance(error, openai.APIConnectionError) or _is_transport_error(error):
            self._fail(reason)
        return reason

    # ---- lifecycle ----------------------------------------------------------------------------------------------
    async def close(self) -> None:
        for generation in list(self._in_flight):
            generation.cancel()
        connection, self._connection = self._connection, None
        if connection is not None and connection.loop is asyncio.get_running_loop():
            try:
                await connection.client.close()
            except Exception:  # closing must not raise
                log.debug("Closing the model server's client failed", exc_info=True)


def _is_transport_error(error: Exception) -> bool:
    """Whether the HTTP library under the client failed (a connection closed mid-stream): httpx for openai 1.x and
    2.x, httpx2 for 3.x, which the client does not wrap once a stream has started."""
    return type(error).__module__.partition(".")[0] in ("httpx", "httpx2", "httpcore", "httpcore2")


def _is_answer_error(error: Exception) -> bool:
    """A failure of the server or of what it answered (explained to the user), not a bug of ours (logged)."""
    return isinstance(error, openai.APIError | ValueError | TypeError | AttributeError) or _is_transport_error(error)


def _context_length(extra: dict[str, Any]) -> int | None:
    """The context window a server reports with its model (vLLM: ``max_model_len``), if any."""
    for key in ("max_model_len", "context_length", "n_ctx"):
        if isinstance(value := extra.get(key), int) and value > 0:
            return value
    meta = extra.get("meta")
    if isinstance(meta, dict) and isinstance(value := meta.get("n_ctx_train"), int) and value > 0:
        return value  # llama.cpp's llama-server reports the model's trained context here
    return None


def _detail(error: Exception) -> str:
    """The server's own words, briefly."""
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if message is None and isinstance(inner, dict):
            message = inner.get("detail")
        if message:
            return str(message)[:300]
    return (str(error) or type(error).__name__)[:300]


def _cause(error: BaseException) -> str:
    """The innermost cause's words ("Connection refused"), not the wrapper's."""
    while error.__cause__ is not None:
        error = error.__cause__
    return str(error) or type(error).__name__
