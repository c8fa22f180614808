"""Who computes now, when a chat and an inline completion share the same CPU cores.

Two llama.cpp computations at once on a laptop's cores slow each other several times over, and a completion that
arrives after the user paused is worthless a second later. So completions go first: while one runs, the chat
engine's worker waits at its next token boundary (or prefill chunk), then carries on where it stopped; its KV cache
is untouched, because completions run in a context of their own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class CpuGate:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._urgent = 0
        self._background = 0

    @property
    def busy(self) -> bool:
        """Whether a chat (or fix, or task) is generating: completions then keep short, to cost it little."""
        return self._background > 0

    @contextmanager
    def background(self) -> Iterator[None]:
        """Mark a chat generation, which yields to completions at its token boundaries (:meth:`wait_turn`)."""
        with self._changed:
            self._background += 1
        try:
            yield
        finally:
            with self._changed:
                self._background -= 1

    @contextmanager
    def urgent(self) -> Iterator[None]:
        """Hold the CPU for a completion: chat pauses at its next token until the block ends."""
        with self._changed:
            self._urgent += 1
        try:
            yield
        finally:
            with self._changed:
                self._urgent -= 1
                self._changed.notify_all()

    def wait_turn(self, timeout: float = 30.0) -> None:
        """Called by the chat worker between steps: wait while a completion computes (bounded, never forever)."""
        with self._changed:
            self._changed.wait_for(lambda: self._urgent == 0, timeout=timeout)
