"""One chat connection's requests: start generations, relay their streams, cancel them by id.

Transport-agnostic: the WebSocket handler feeds raw messages in and gives a ``send`` callable for replies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .engine import ChatMessage, EngineError, Generation, LlamaEngine
from .protocol import (
    CancelRequest,
    ChatRequest,
    ProtocolError,
    done_message,
    error_message,
    parse_client_message,
    token_message,
)

Send = Callable[[dict[str, Any]], None]
"""Deliver one message to the client; must not raise (a closed connection is the transport's business)."""


@dataclass(frozen=True)
class GenerationDefaults:
    max_tokens: int = 1024
    temperature: float = 0.2
    system_prompt: str = ""


class ChatSession:
    def __init__(self, engine: LlamaEngine, defaults: GenerationDefaults, send: Send) -> None:
        self._engine = engine
        self._defaults = defaults
        self._send = send
        self._requests: dict[str, tuple[Generation, asyncio.Task[None]]] = {}

    def handle(self, raw: str | bytes) -> None:
        """Act on one client message; problems are answered with an ``error`` message, never raised."""
        try:
            message = parse_client_message(raw)
        except ProtocolError as e:
            self._send(error_message(e.request_id, str(e)))
            return
        if isinstance(message, CancelRequest):
            self.cancel(message.id)
        else:
            self._start(message)

    def cancel(self, request_id: str) -> None:
        """Cancel a request in flight; unknown or finished ids are ignored (the request already ended)."""
        if request_id in self._requests:
            self._requests[request_id][0].cancel()

    def close(self) -> None:
        """The client went away: stop everything it started."""
        for generation, _ in self._requests.values():
            generation.cancel()

    def _start(self, request: ChatRequest) -> None:
        if request.id in self._requests:
            self._send(error_message(request.id, f"A request with id {request.id!r} is already in flight."))
            return
        messages: list[ChatMessage] = [{"role": m.role, "content": m.content} for m in request.messages]
        if self._defaults.system_prompt and messages[0]["role"] != "system":
            messages.insert(0, {"role": "system", "content": self._defaults.system_prompt})
        generation = self._engine.generate(
            messages,
            max_tokens=request.max_tokens or self._defaults.max_tokens,
            temperature=self._defaults.temperature if request.temperature is None else request.temperature,
        )
        task = asyncio.create_task(self._relay(request.id, generation))
        self._requests[request.id] = (generation, task)

    async def _relay(self, request_id: str, generation: Generation) -> None:
        try:
            async for text in generation:
                self._send(token_message(request_id, text))
        except EngineError as e:
            self._send(error_message(request_id, str(e)))
        else:
            self._send(done_message(request_id, generation))
        finally:
            self._requests.pop(request_id, None)
