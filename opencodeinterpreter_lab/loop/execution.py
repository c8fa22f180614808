"""Running code and reading back what it did.

An :class:`Executor` runs one cell's code and returns its outputs in nbformat's shape. Two implementations share
everything downstream (summaries for the model, the fix loop): :class:`KernelExecutor`, a kernel the server or CLI
starts itself, and the live notebook, whose executor lives in the chat session and runs cells through the frontend.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import contextlib
import functools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from .feedback import ErrorInfo, format_error, head_and_tail, strip_ansi

READ_TIMEOUT = 5.0
READ_CHARS = 4000
"""Kernel reads are bounded: a read that takes longer is skipped, a longer answer cut."""
PREVIEW_CHARS = 800
"""Each part of :meth:`ExecutionResult.preview`."""


Output = dict[str, Any]
"""One output in nbformat v4's shape (output_type stream | execute_result | display_data | error)."""


@dataclass(frozen=True)
class ExecutionResult:
    status: Literal["ok", "error", "timeout", "dead"]
    outputs: list[Output] = field(default_factory=list)
    message: str = ""
    """Why the run did not finish (timeout, dead kernel), for people and the model."""
    in_copy: bool = False
    """The code ran in a copy of the kernel (see ``trial.py``): what it did there, none of it kept."""
    variables: str = ""
    """In a copy: what the names the code binds held after it ran (see :func:`describe_expression`)."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def error(self) -> ErrorInfo | None:
        for output in self.outputs:
            if output.get("output_type") == "error":
                return ErrorInfo(
                    ename=str(output.get("ename", "")),
                    evalue=str(output.get("evalue", "")),
                    traceback=tuple(str(line) for line in output.get("traceback", ())),
                )
        if self.status in ("timeout", "dead"):
            return ErrorInfo(ename="TimeoutError" if self.status == "timeout" else "KernelDied", evalue=self.message)
        return None

    def summary(self, max_chars: int = 1500) -> str:
        """What the model reads: text outputs (head and tail), notes for rich ones, and the error."""
        parts = [summarize_output(output) for output in self.outputs if output.get("output_type") != "error"]
        text = head_and_tail("".join(p for p in parts if p).strip("\n"), max_chars)
        error = self.error
        if error is not None:
            text = (text + "\n" if text else "") + format_error(error, max_chars)
        return text or "(no output)"

    def preview(self, max_chars: int = PREVIEW_CHARS) -> str:
        """What a run in a copy printed, displayed and set, for people deciding whether to apply the code: its
        outputs (head and tail) and what the names it binds held there."""
        shown = self.summary(max_chars) if self.outputs else ""
        return "\n".join(part for part in (shown, head_and_tail(self.variables, max_chars)) if part)


def summarize_output(output: Output) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return strip_ansi(_text(output.get("text", "")))
    if kind in ("execute_result", "display_data"):
        data: dict[str, Any] = output.get("data", {})
        rich = [mime for mime in data if mime != "text/plain"]
        notes = "".join(f"[{mime} output{_size(output, mime)}]\n" for mime in rich)
        plain = strip_ansi(_text(data.get("text/plain", ""))) if "text/plain" in data and not _is_figure(data) else ""
        return notes + (plain + "\n" if plain else "")
    return ""


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _is_figure(data: dict[str, Any]) -> bool:
    return any(mime.startswith("image/") for mime in data) and _text(data.get("text/plain", "")).startswith("<Figure")


def _size(output: Output, mime: str) -> str:
    """``, 640x480, 23 KB`` as far as known: from the output's metadata, else from a PNG's header."""
    meta = output.get("metadata", {}).get(mime, {})
    value = output.get("data", {}).get(mime, "")
    encoded = _text(value) if isinstance(value, str | list) else ""
    dimensions = ""
    if isinstance(meta, dict) and "width" in meta and "height" in meta:
        dimensions = f", {meta['width']}x{meta['height']}"
    elif mime == "image/png" and encoded:
        with contextlib.suppress(ValueError):
            header = base64.b64decode(encoded[:32] + "=" * (-len(encoded[:32]) % 4))
            if header[:8] == b"\x89PNG\r\n\x1a\n" and len(header) >= 24:
                dimensions = f", {int.from_bytes(header[16:20], 'big')}x{int.from_bytes(header[20:24], 'big')}"
    if mime.startswith("image/") and encoded and not mime.endswith("svg+xml"):
        return f"{dimensions}, {len(encoded) * 3 // 4 // 1024 + 1} KB"
    return dimensions


# One expression, evaluated through a silent request's user_expressions: it leaves nothing in the user's namespace
# and bounds every repr. Lists the given names' types, shapes or lengths, DataFrame columns, labels (when not
# 0..n-1), dtypes and values.
_DESCRIBE_VARIABLES = """(lambda ns, names, r: '\\n'.join(
    n + ': ' + type(v).__name__
    + (' shape=' + str(v.shape) if hasattr(v, 'shape') else ' len=' + str(len(v)) if hasattr(v, '__len__') else '')
    + (' dtype=' + str(v.dtype) if hasattr(v, 'dtype') else '')
    + (' columns=' + r([*v.columns]) if hasattr(v, 'columns') else '')
    + (' index=' + r([*v.index[:6]]) if hasattr(v, 'iloc') and type(v.index).__name__ != 'RangeIndex' else '')
    + (' = ' + r(v) if not hasattr(v, 'shape') else '')
    for n, v in ((n, ns[n]) for n in names if n in ns)
    if type(v).__name__ not in ('module', 'function', 'builtin_function_or_method', 'type')
))(get_ipython().user_ns, NAMES, __import__('reprlib').repr)"""


_LIMIT_MEMORY = """(lambda r, used: r.setrlimit(r.RLIMIT_AS, (used + EXTRA, used + EXTRA)))(
    __import__('resource'), int(open('/proc/self/statm').read().split()[0]) * __import__('os').sysconf('SC_PAGE_SIZE')
)"""


async def describe_variables(reader: KernelReader, names: Iterable[str]) -> str:
    """A summary of those of ``names`` the kernel defines (Python kernels), read silently; "" if none."""
    expression = describe_expression(names)
    text = await reader.evaluate(expression) if expression else None
    if not text:
        return ""
    try:
        return str(ast.literal_eval(text))
    except (ValueError, SyntaxError):  # cut at READ_CHARS: not a whole literal any more
        return ""


def describe_expression(names: Iterable[str]) -> str:
    """One expression whose value summarises those of ``names`` the kernel defines; "" for no names."""
    wanted = sorted(n for n in names if n.isidentifier())
    return _DESCRIBE_VARIABLES.replace("NAMES", repr(wanted)) if wanted else ""


class Executor(Protocol):
    async def execute(self, code: str) -> ExecutionResult: ...


class KernelReader(Protocol):
    """Reads from a kernel without running the user's code: one expression, evaluated by a silent request."""

    async def evaluate(self, expression: str, timeout: float = READ_TIMEOUT) -> str | None:
        """The expression's value as text (``text/plain``); None when the kernel cannot say (not IPython, busy past
        ``timeout``, gone, or the expression raised)."""
        ...


@functools.lru_cache(maxsize=4)
def _package_file(name: str) -> str:
    return Path(__file__).with_name(name).read_text(encoding="utf-8")


def kernel_call(module: str, function: str, first: str, *args: object) -> str:
    """One expression for :meth:`KernelReader.evaluate` that executes ``module`` (a file of this package written to
    run inside the kernel, standard library only) in a namespace of its own and returns ``function(first, *args)``:
    ``first`` is an expression in the kernel (``get_ipython()``), ``args`` are literals. It adds nothing to the
    user's namespace."""
    arguments = ", ".join([first, *map(repr, args)])
    return f"(lambda ns: (exec({_package_file(module)!r}, ns), ns[{function!r}]({arguments}))[1])({{}})"


async def evaluate_silently(client: Any, expression: str, timeout: float) -> str | None:
    """:meth:`KernelReader.evaluate` on a ``jupyter_client`` client: an ``execute_request`` with ``silent=True``, no
    code and one user expression; it runs nothing else, records nothing in the history and leaves no output."""
    try:
        reply = await asyncio.wait_for(
            client.execute_interactive(
                "", silent=True, store_history=False, user_expressions={"v": expression}, timeout=timeout
            ),
            timeout,
        )
        value = reply["content"]["user_expressions"]["v"]
    except Exception:  # a kernel that is not IPython, busy or gone: nothing to say, not an error
        return None
    if value.get("status") != "ok":
        return None
    text = value.get("data", {}).get("text/plain", "")
    return str(text)[:READ_CHARS] if text else None


class KernelExecutor:
    """A kernel of our own, for the headless fixer, the benchmarks and tests. Use ``async with``."""

    def __init__(
        self,
        kernel_name: str = "python3",
        timeout: float = 60,
        cwd: str | None = None,
        memory_limit_mb: int | None = None,
    ) -> None:
        self.kernel_name = kernel_name
        self.timeout = timeout
        self.memory_limit_mb = memory_limit_mb
        """Address space the code may add to the kernel's own (Python kernels); past it, allocations fail."""
        self._cwd = cwd
        self._manager: Any = None
        self._client: Any = None

    async def __aenter__(self) -> KernelExecutor:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        from jupyter_client.manager import AsyncKernelManager

        self._manager = AsyncKernelManager(kernel_name=self.kernel_name)
        await self._manager.start_kernel(**({"cwd": self._cwd} if self._cwd else {}))
        self._client = self._manager.client()
        self._client.start_channels()
        await self._client.wait_for_ready(timeout=120)
        if self.memory_limit_mb is not None:
            limit = _LIMIT_MEMORY.replace("EXTRA", str(self.memory_limit_mb * 1024 * 1024))
            await self._client.execute_interactive(limit, silent=True, store_history=False, timeout=10)

    async def stop(self) -> None:
        if self._client is not None:
            self._client.stop_channels()
            self._client = None
        if self._manager is not None:
            with contextlib.suppress(Exception):  # already dead is fine
                await self._manager.shutdown_kernel(now=True)
            self._manager = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def execute(self, code: str) -> ExecutionResult:
        """Run ``code``; a run past ``timeout`` is interrupted, a dead kernel is restarted for the next run."""
        if self._manager is None or not await self._manager.is_alive():
            await self.restart()
        msg_id = self._client.execute(code, store_history=True, allow_stdin=False)
        outputs: list[Output] = []
        deadline = time.monotonic() + self.timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                await self._manager.interrupt_kernel()
                await self._drain(msg_id)
                return ExecutionResult("timeout", outputs, f"The cell ran longer than {self.timeout:g} s.")
            try:
                message = await self._client.get_iopub_msg(timeout=min(remaining, 1.0))
            except asyncio.CancelledError:
                await self._manager.interrupt_kernel()
                raise
            except Exception:  # queue.Empty: nothing yet; is the kernel still there?
                if not await self._manager.is_alive():
                    await self.restart()
                    return ExecutionResult("dead", outputs, "The kernel died while running the cell.")
                continue
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            content = message["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                has_error = any(o["output_type"] == "error" for o in outputs)
                return ExecutionResult("error" if has_error else "ok", outputs)
            if kind in ("stream", "execute_result", "display_data", "error"):
                outputs.append(_to_nbformat(kind, content))
            elif kind == "clear_output":
                outputs.clear()

    async def evaluate(self, expression: str, timeout: float = READ_TIMEOUT) -> str | None:
        if self._client is None:
            return None
        return await evaluate_silently(self._client, expression, timeout)

    async def _drain(self, msg_id: str) -> None:
        """After an interrupt, wait briefly for the kernel to go idle so the next run starts clean."""
        with contextlib.suppress(Exception):
            end = time.monotonic() + 10
            while time.monotonic() < end:
                message = await self._client.get_iopub_msg(timeout=1.0)
                if (
                    message.get("parent_header", {}).get("msg_id") == msg_id
                    and message["msg_type"] == "status"
                    and message["content"].get("execution_state") == "idle"
                ):
                    return


def _to_nbformat(kind: str, content: dict[str, Any]) -> Output:
    if kind == "stream":
        return {"output_type": "stream", "name": content.get("name", "stdout"), "text": content.get("text", "")}
    if kind == "error":
        return {
            "output_type": "error",
            "ename": content.get("ename", ""),
            "evalue": content.get("evalue", ""),
            "traceback": content.get("traceback", []),
        }
    output: Output = {"output_type": kind, "data": content.get("data", {}), "metadata": content.get("metadata", {})}
    if kind == "execute_result":
        output["execution_count"] = content.get("execution_count")
    return output
