"""Silent reads from the notebook's own kernel, which the Jupyter server manages, for the fix prompt and checks.

The panel names its kernel in a ``fix`` request; the fix loop then reads that kernel directly (variables, what the
failing line calls, names a fix must set) with :func:`~..loop.execution.evaluate_silently`: the same reads as the
benchmarks and the headless fixer make in their own kernels, so that all build the same prompt.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ..loop.execution import READ_TIMEOUT, evaluate_silently


class LiveKernelReader:
    """A :class:`~..loop.execution.KernelReader` on a running kernel of the server's kernel manager. Its channels
    open on the first read; :meth:`close` them when done."""

    def __init__(self, kernel_manager: Any, kernel_id: str) -> None:
        self._kernel_manager = kernel_manager
        self._kernel_id = kernel_id
        self._client: Any = None

    async def evaluate(self, expression: str, timeout: float = READ_TIMEOUT) -> str | None:
        if self._client is None:
            try:
                kernel = self._kernel_manager.get_kernel(self._kernel_id)
            except KeyError:  # shut down since, or never ours: nothing to read
                return None
            self._client = kernel.client()
            self._client.start_channels()
        return await evaluate_silently(self._client, expression, timeout)

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.stop_channels()
            self._client = None
