"""Inline completions from a GGUF in this process: a small context of its own, on a worker thread of its own.

The completer's ``Llama`` is separate from the chat engine's (for the chat model itself, a second context on the
same memory-mapped file), so a completion never disturbs the chat's KV cache, and each keystroke's prompt shares
its start with the previous one: llama.cpp evaluates only the tokens after the first difference. While it computes,
it holds the :class:`~..engine.gate.CpuGate`, and the chat engine waits at its next token.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine.base import EngineError, Generation
from ..engine.gate import CpuGate
from ..engine.llama import EngineConfig, open_llama, stream_tokens
from ..engine.models import ModelChoice, ModelError, resolve_model
from .prompt import Budget, CompletionRequest, build_prompt

if TYPE_CHECKING:
    from llama_cpp import Llama

log = logging.getLogger(__name__)

PREFILL_CHUNK = 32
"""Prompt tokens evaluated between two checks for a newer keystroke (~0.25 s for the 0.5B on two cores)."""


class LocalCompleter:
    def __init__(
        self,
        model: ModelChoice,
        cache_dir: Path,
        gate: CpuGate,
        n_threads: int = 0,
        n_ctx: int = 2048,
        n_gpu_layers: int = 0,
    ) -> None:
        self.model = model
        self._config = EngineConfig(
            model=model, cache_dir=cache_dir, n_ctx=n_ctx, n_threads=n_threads, n_gpu_layers=n_gpu_layers
        )
        self._gate = gate
        self._budget = Budget(prefix_tokens=min(1024, n_ctx // 2))
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opencodeinterpreter-completer")
        self._lock = threading.Lock()
        self._in_flight: set[Generation] = set()
        self._llama: Llama | None = None
        self._problem = ""

    async def ready(self) -> None:
        """Load the model now (a warm-up before the first keystroke); raises EngineError when it cannot be."""
        await asyncio.wrap_future(self._executor.submit(self._loaded))

    def fill(self, request: CompletionRequest) -> Generation:
        """Queue a completion; iterate the result for the middle's raw pieces (cancel it when the user types on)."""
        generation = Generation(
            messages=(), max_tokens=request.max_tokens, temperature=0.0, loop=asyncio.get_running_loop()
        )
        with self._lock:
            self._in_flight.add(generation)
        self._executor.submit(self._run, generation, request)
        return generation

    def _run(self, generation: Generation, request: CompletionRequest) -> None:
        try:
            if not generation.cancelled:
                llama = self._loaded()
                prompt = self._tokenized_prompt(llama, request)  # before taking the CPU from the chat
                with self._gate.urgent():
                    self._fill(llama, generation, prompt)
        except EngineError as e:
            generation._put(e)
        except Exception as e:  # never let the worker die with a request unanswered
            log.exception("Completion failed")
            generation._put(EngineError(f"Completion failed: {type(e).__name__}: {e}"))
        finally:
            with self._lock:
                self._in_flight.discard(generation)
            generation._finish()

    def _loaded(self) -> Llama:
        if self._llama is None:
            if self._problem:  # do not retry a broken model on every keystroke
                raise EngineError(self._problem)
            try:
                path = resolve_model(self.model, self._config.cache_dir, lambda message, fraction: None)
                self._llama = open_llama(path, self._config)
            except (ModelError, ValueError, OSError, RuntimeError) as e:
                self._problem = f"Inline completions are off: the model {self.model.name} could not be loaded ({e})."
                log.error("%s", self._problem)
                raise EngineError(self._problem) from None
        return self._llama

    def _tokenized_prompt(self, llama: Llama, request: CompletionRequest) -> list[int]:
        """The fill-in-the-middle prompt in the model's own FIM tokens, whatever the model (Qwen's, DeepSeek's…)."""
        from llama_cpp import llama_cpp

        vocab = llama._model.vocab
        pre, suf, mid = (
            fim(vocab)
            for fim in (llama_cpp.llama_vocab_fim_pre, llama_cpp.llama_vocab_fim_suf, llama_cpp.llama_vocab_fim_mid)
        )
        if min(pre, suf, mid) < 0:
            raise EngineError(
                f"{self.model.name} has no fill-in-the-middle tokens, so it cannot complete inline: choose another "
                "model in the inline completer's settings (e.g. qwen2.5-coder-0.5b)."
            )

        def tokens(text: str) -> list[int]:
            return llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)

        fim = build_prompt(
            request.prefix, request.suffix, request.cells_above, self._budget, count=lambda text: len(tokens(text))
        )
        bos = [llama.token_bos()] if llama_cpp.llama_vocab_get_add_bos(vocab) else []
        return [*bos, pre, *tokens(fim.prefix), suf, *tokens(fim.suffix), mid]

    def _fill(self, llama: Llama, generation: Generation, prompt: list[int]) -> None:
        generation.usage.prompt_tokens = len(prompt)
        # Special tokens as text: the ghost text's trimmer stops at the ones that end a middle.
        stream_tokens(
            llama,
            prompt,
            generation,
            generation.max_tokens,
            time.perf_counter(),
            PREFILL_CHUNK,
            special=True,
            temp=0.0,
            repeat_penalty=1.0,
        )

    async def close(self) -> None:
        """Cancel every completion and free the model; never raises."""
        with self._lock:
            in_flight = list(self._in_flight)
        for generation in in_flight:
            generation.cancel()
        await asyncio.get_running_loop().run_in_executor(None, self._free)

    def _free(self) -> None:
        self._executor.shutdown(wait=True)
        if self._llama is not None:
            self._llama.close()
            self._llama = None
