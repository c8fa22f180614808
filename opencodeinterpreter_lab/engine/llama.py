"""The local inference engine: one llama.cpp model on one worker thread, streamed to asyncio callers.

The engine owns the ``Llama`` object. Every blocking step (assembling or downloading the model, loading it,
prompt evaluation, decoding) runs on a single worker thread, so requests are served first in, first out and the
event loop never blocks. Callers get a :class:`Generation`: an async iterator of text pieces with ``cancel()``,
which stops the worker within one token (or one prefill chunk). llama.cpp keeps the previous prompt in its KV
cache and reuses the longest common token prefix, so the next turn of a conversation only evaluates what is new.

No tornado here: the same engine serves the server extension, the CLI and the benchmarks.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .base import ChatMessage, EngineError, EngineStatus, Generation, StatusBoard, StatusListener
from .gate import CpuGate
from .models import ModelChoice, ModelError, resolve_model

if TYPE_CHECKING:
    from llama_cpp import Llama

log = logging.getLogger(__name__)

PREFILL_CHUNK = 64
"""Prompt tokens evaluated between two cancellation checks (~1 s on two CPU cores with the 1.5B model)."""

# Used only when a GGUF carries no chat template: the DeepSeek-Coder format of the OpenCodeInterpreter models.
DEEPSEEK_CODER_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m['role'] == 'system' %}{{ m['content'] }}\n"
    "{% elif m['role'] == 'user' %}### Instruction:\n{{ m['content'] }}\n"
    "{% else %}### Response:\n{{ m['content'] }}\n{{ eos_token }}\n{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}### Response:\n{% endif %}"
)


@dataclass(frozen=True)
class EngineConfig:
    model: ModelChoice
    cache_dir: Path
    n_ctx: int = 8192
    n_threads: int = 0  # 0: every CPU this process may use
    n_gpu_layers: int = 0
    extra_buffer_types: bool = False
    """llama.cpp's extra weight buffers (AMX, repacked weights); they crash decoding on some virtual machines."""

    @property
    def threads(self) -> int:
        return self.n_threads or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


class LlamaEngine:
    """The in-process engine (see the module's docstring)."""

    def __init__(self, config: EngineConfig, gate: CpuGate | None = None) -> None:
        self.config = config
        self._gate = gate or CpuGate()
        """Inline completions share the CPU: this engine's worker yields to them at token boundaries."""
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opencodeinterpreter-engine")
        self._lock = threading.Lock()  # guards _load_pending and _in_flight
        self._load_pending = False
        self._in_flight: set[Generation] = set()
        self._llama: Llama | None = None
        self._chat_format: Any = None
        self._board = StatusBoard(
            EngineStatus(
                model=config.model.name,
                source=config.model.source,
                state="error" if config.model.problem else "absent",
                progress=None,
                message=config.model.problem,
                n_ctx=config.n_ctx,
                n_threads=config.threads,
                n_gpu_layers=config.n_gpu_layers,
                gpu_offload=_gpu_offload_supported(),
            )
        )
        self._set_status = self._board.update

    # ---- status -------------------------------------------------------------------------------------------------
    @property
    def status(self) -> EngineStatus:
        return self._board.status

    def subscribe(self, listener: StatusListener) -> Callable[[], None]:
        return self._board.subscribe(listener)

    # ---- loading ------------------------------------------------------------------------------------------------
    def start_loading(self) -> None:
        """Begin loading in the background unless the model is loaded or loading."""
        with self._lock:
            if self._load_pending or self.status.state == "ready":
                return
            self._load_pending = True
        self._executor.submit(self._ensure_loaded)

    async def ready(self) -> None:
        """Wait until the model is loaded, raising EngineError if it cannot be."""
        await asyncio.wrap_future(self._executor.submit(self._ensure_loaded))

    def _ensure_loaded(self) -> Llama:
        """Worker thread: load the model unless loaded; raise EngineError with the reason when it cannot be."""
        with self._lock:
            self._load_pending = False
        if self._llama is not None:
            return self._llama
        self._set_status(state="loading", progress=None, message="Preparing the model")
        last_reported = [-1.0]

        def progress(message: str, fraction: float | None) -> None:
            if fraction is None or fraction - last_reported[0] >= 0.01 or fraction >= 1.0:
                last_reported[0] = fraction if fraction is not None else -1.0
                self._set_status(message=message, progress=fraction)

        try:
            path = resolve_model(self.config.model, self.config.cache_dir, progress)
            self._set_status(message="Loading the model", progress=None)
            self._llama = self._load_llama(path)
        except (ModelError, ValueError, OSError, RuntimeError) as e:
            reason = str(e) if isinstance(e, ModelError) else f"Could not load the model: {e}"
            log.error("OpenCodeInterpreter model failed to load: %s", reason)
            self._set_status(state="error", progress=None, message=reason)
            raise EngineError(reason) from None
        self._set_status(state="ready", progress=None, message="")
        return self._llama

    def _load_llama(self, path: Path) -> Llama:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        t0 = time.perf_counter()
        llama = open_llama(path, self.config)
        template = llama.metadata.get("tokenizer.chat_template") or DEEPSEEK_CODER_TEMPLATE
        self._chat_format = Jinja2ChatFormatter(
            template=template,
            eos_token=_token_text(llama, llama.token_eos()),
            bos_token=_token_text(llama, llama.token_bos()),
        )
        log.info("Loaded %s in %.1f s", path, time.perf_counter() - t0)
        return llama

    # ---- generation ---------------------------------------------------------------------------------------------
    def generate(self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float) -> Generation:
        """Queue a chat completion (first in, first out); iterate the result for its text pieces."""
        generation = Generation(
            messages=messages, max_tokens=max_tokens, temperature=temperature, loop=asyncio.get_running_loop()
        )
        with self._lock:
            self._in_flight.add(generation)
        self._executor.submit(self._run, generation)
        return generation

    def _run(self, generation: Generation) -> None:
        """Worker thread: serve one request from start to end, always finishing its stream."""
        try:
            if not generation.cancelled:
                llama = self._ensure_loaded()
                with self._gate.background():
                    self._stream(llama, generation)
        except EngineError as e:
            generation._put(e)
        except Exception as e:  # never let the worker die with a request unanswered
            log.exception("Generation failed")
            generation._put(EngineError(f"Generation failed: {type(e).__name__}: {e}"))
        finally:
            with self._lock:
                self._in_flight.discard(generation)
            generation._finish()

    def _stream(self, llama: Llama, generation: Generation) -> None:
        started = time.perf_counter()
        prompt = self._tokenize_chat(llama, generation.messages)
        n_ctx = llama.n_ctx()
        generation.usage.prompt_tokens = len(prompt)
        if len(prompt) >= n_ctx:
            raise EngineError(
                f"The conversation is {len(prompt)} tokens long but the model's context holds {n_ctx}. "
                "Clear the conversation or shorten the message."
            )
        max_tokens = min(generation.max_tokens, n_ctx - len(prompt))
        stream_tokens(
            llama,
            prompt,
            generation,
            max_tokens,
            started,
            PREFILL_CHUNK,
            self._gate.wait_turn,
            temp=generation.temperature,
            top_k=40,
            top_p=0.95,
            min_p=0.05,
            repeat_penalty=1.0,
        )

    def _tokenize_chat(self, llama: Llama, messages: Sequence[ChatMessage]) -> list[int]:
        """Render ``messages`` with the model's chat template and tokenize them, ready to generate the answer."""
        rendered = self._chat_format(messages=list(messages))
        tokens: list[int] = llama.tokenize(
            rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True
        )
        return tokens

    # ---- lifecycle ----------------------------------------------------------------------------------------------
    async def close(self) -> None:
        """Cancel every request, stop the worker and free the model; never raises."""
        with self._lock:
            in_flight = list(self._in_flight)
        for generation in in_flight:
            generation.cancel()
        await asyncio.get_running_loop().run_in_executor(None, self._free)

    def _free(self) -> None:
        # Cancelled requests drain within a token; then nothing uses the model any more.
        self._executor.shutdown(wait=True)
        if self._llama is not None:
            self._llama.close()
            self._llama = None


_llama_params_lock = threading.Lock()


def open_llama(path: Path, config: EngineConfig) -> Llama:
    """Construct the ``Llama`` for ``path`` as ``config`` says (shared by the engine and the benchmarks)."""
    from llama_cpp import Llama, llama_cpp

    def build() -> Llama:
        return Llama(
            model_path=str(path),
            n_ctx=config.n_ctx,
            n_threads=config.threads,
            n_threads_batch=config.threads,
            n_gpu_layers=config.n_gpu_layers,
            verbose=False,
        )

    if config.extra_buffer_types:
        return build()
    # llama-cpp-python does not expose llama.cpp's ``use_extra_bufts`` model parameter, so the defaults it starts
    # from are adjusted while this one model is constructed.
    default_params = llama_cpp.llama_model_default_params

    def params_without_extra_buffers() -> Any:
        params = default_params()
        params.use_extra_bufts = False
        return params

    with _llama_params_lock:
        llama_cpp.llama_model_default_params = params_without_extra_buffers
        try:
            return build()
        finally:
            llama_cpp.llama_model_default_params = default_params


def stream_tokens(
    llama: Llama,
    prompt: list[int],
    generation: Generation,
    max_tokens: int,
    started: float,
    chunk: int,
    between: Callable[[], object] = lambda: None,
    special: bool = False,
    **sampling: Any,
) -> None:
    """Worker thread: evaluate ``prompt`` and put the answer's text into ``generation``, token by token, until the
    model's end, ``max_tokens`` or a cancel (honoured within a token, or a ``chunk`` of the prompt). ``between`` runs
    between two steps (the chat yields the CPU there); ``special``: show special tokens as their text.

    The prompt is evaluated in chunks; each partial ``generate()`` reuses the cached prefix and evaluates only the
    next chunk (llama.cpp keeps the previous prompt in its KV cache and reuses the longest common token prefix).
    """
    from llama_cpp import llama_cpp

    cached = _common_prefix(llama.input_ids[: llama.n_tokens].tolist(), prompt)
    for end in range(cached + chunk, len(prompt) - 1, chunk):
        between()
        if generation.cancelled:
            return
        next(llama.generate(prompt[:end], temp=0.0))

    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    vocab = llama._model.vocab
    usage, timings = generation.usage, generation.timings
    first_token_at = last_token_at = 0.0
    for token in llama.generate(prompt, **sampling):
        if generation.cancelled or llama_cpp.llama_vocab_is_eog(vocab, token):
            break
        last_token_at = time.perf_counter()
        if not usage.completion_tokens:
            first_token_at = last_token_at
            timings.first_token_s = first_token_at - started
        usage.completion_tokens += 1
        if text := decoder.decode(llama.detokenize([token], special=special)):
            generation._put(text)
        if usage.completion_tokens >= max_tokens:
            break
        between()
    if tail := decoder.decode(b"", final=True):
        generation._put(tail)
    if usage.completion_tokens > 1:
        timings.tokens_per_second = (usage.completion_tokens - 1) / (last_token_at - first_token_at)


def _token_text(llama: Llama, token: int) -> str:
    return llama.detokenize([token], special=True).decode(errors="ignore") if token >= 0 else ""


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _gpu_offload_supported() -> bool:
    try:
        from llama_cpp import llama_cpp

        return bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:  # llama.cpp missing or too old: the status says so when loading fails
        return False
