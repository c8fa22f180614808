"""Which completer serves inline completions, and the ghost text it streams.

The user's setting names the model: ``chat`` (the default: the chat model — on the remote server when the chat
runs there, else the same GGUF in a small context of the completer's own) or a catalog key of a local model (e.g.
the 0.5B: faster, but it fills far fewer lines right; see the README). The completer is built on first use and
replaced when the setting or the chat model changes; only one is held at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

from ..engine.base import Engine, Generation
from ..engine.gate import CpuGate
from ..engine.llama import LlamaEngine
from ..engine.models import DEFAULT_MODEL, ModelChoice, choose_model
from ..engine.remote import RemoteEngine
from ..engine.switch import SwitchableEngine
from .local import LocalCompleter
from .prompt import CompletionRequest, MiddleTrimmer, build_prompt, looks_binary, typed_indent

log = logging.getLogger(__name__)

CHAT = "chat"


@dataclass(frozen=True)
class RemoteCompleter:
    """Fill-in-the-middle through the remote engine's plain completions endpoint (same server, same model)."""

    engine: RemoteEngine

    def fill(self, request: CompletionRequest) -> Generation:
        prompt = build_prompt(request.prefix, request.suffix, request.cells_above)
        return self.engine.fill(prompt.text, request.max_tokens)

    async def close(self) -> None:
        """The engine belongs to the chat."""


Completer = LocalCompleter | RemoteCompleter


class InlineCompletions:
    def __init__(
        self, chat: SwitchableEngine, gate: CpuGate, cache_dir: Path, n_threads: int = 0, n_gpu_layers: int = 0
    ) -> None:
        self._chat = chat
        self._gate = gate
        self._cache_dir = cache_dir
        self._n_threads = n_threads
        self._n_gpu_layers = n_gpu_layers
        self._completer: Completer | None = None
        self._closing: set[asyncio.Task[None]] = set()

    async def ghost_text(self, request: CompletionRequest, model: str = CHAT) -> AsyncIterator[str]:
        """The suggestion's pieces, as they may be shown; nothing for text a completion cannot help with."""
        if looks_binary(request.prefix[-2000:] + request.suffix[:2000]):
            return
        completer = self._completer_for(model)
        if not (request.prefix.strip() or request.suffix.strip()):  # a warm-up: load the model, suggest nothing
            if isinstance(completer, LocalCompleter):
                await completer.ready()
            return
        if self._gate.busy:  # a chat streams: one line costs it half as much as three (see the README)
            request = replace(request, max_lines=1)
        generation = completer.fill(request)
        trimmer = MiddleTrimmer(request.suffix, request.max_lines, typed_indent(request.prefix))
        async for piece in generation:
            if shown := trimmer.feed(piece):
                yield shown
            if trimmer.done:
                generation.cancel()  # the rest is not wanted: free the CPU now
                break
        if rest := trimmer.finish():
            yield rest

    def _completer_for(self, model: str) -> Completer:
        chat = self._chat.current
        wanted: RemoteEngine | ModelChoice
        if isinstance(chat, RemoteEngine) and model == CHAT:
            wanted = chat
        elif model == CHAT:
            wanted = _local_choice(chat)
        else:
            wanted = choose_model(model=model)  # an unknown key gives a choice whose problem says so
        current = self._completer
        if isinstance(current, RemoteCompleter) and current.engine is wanted:
            return current
        if isinstance(current, LocalCompleter) and current.model == wanted:
            return current
        if current is not None:
            self._retire(current)
        if isinstance(wanted, RemoteEngine):
            self._completer = RemoteCompleter(wanted)
        else:
            log.info("Inline completions from %s", wanted.name)
            self._completer = LocalCompleter(
                wanted, self._cache_dir, self._gate, self._n_threads, n_gpu_layers=self._n_gpu_layers
            )
        return self._completer

    def _retire(self, completer: Completer) -> None:
        task = asyncio.get_running_loop().create_task(completer.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        """Free the completer's model; never raises."""
        if self._completer is not None:
            await self._completer.close()
            self._completer = None
        await asyncio.gather(*self._closing, return_exceptions=True)


def _local_choice(chat: Engine) -> ModelChoice:
    """The chat model's file, for a context of the completer's own (the default model for other engines)."""
    return chat.config.model if isinstance(chat, LlamaEngine) else choose_model(model=DEFAULT_MODEL)
