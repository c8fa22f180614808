"""Ask the kernel, not the model's memory: what the objects on a failing line really are, for the fix prompt.

When a call into a library fails, a person reads the docs of what they called. This reads them from the live kernel
with one silent request (:mod:`.kernel_probe`, run in a namespace of its own; static lookups only): the called
objects' signatures, the first sentence of their docstrings and their packages' installed versions, and for a
missing attribute the close names that do exist (``np.float64`` for ``np.float``, ``.str.split`` for a Series). It
needs no table per error, and it is bounded: one read, ``READ_TIMEOUT`` seconds, ``FACT_CHARS`` characters.
"""

from __future__ import annotations

import ast
import re

from .cells import parse_cell
from .execution import ExecutionResult, KernelReader, kernel_call
from .feedback import strip_ansi

FACT_CHARS = 700
MAX_CALLS = 2
_SKIPPED = ("SyntaxError", "IndentationError", "TabError", "NameError", "KeyboardInterrupt")
_MISSING_ATTRIBUTE = re.compile(r"has no attribute '(\w+)'")
_CELL_LINE = re.compile(r"(?:Cell In\[\d+\]|<ipython-input-[^>]*>), line (\d+)")


def probe_expression(calls: list[str], missing: tuple[str, str] | None) -> str:
    """One expression that runs the probe in a fresh namespace and returns its text."""
    return kernel_call("kernel_probe.py", "probe", "get_ipython().user_ns", calls, missing, FACT_CHARS)


def failing_line(failure: ExecutionResult) -> int | None:
    """The line of the cell that raised, from the first cell frame of the traceback."""
    error = failure.error
    if error is None:
        return None
    for frame in error.traceback:
        if match := _CELL_LINE.search(strip_ansi(frame)):
            return int(match.group(1))
    return None


def probe_targets(source: str, failure: ExecutionResult) -> tuple[list[str], tuple[str, str] | None]:
    """What to look up: the dotted names called on the failing line (those the traceback names first), and for
    an AttributeError the object path and the missing name."""
    error = failure.error
    tree = parse_cell(source)
    if error is None or tree is None or error.ename in _SKIPPED:
        return [], None
    line = failing_line(failure)
    nodes = [n for n in ast.walk(tree) if line is None or getattr(n, "lineno", line) <= line <= _end(n, line)]
    calls: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Call) and (path := _dotted(node.func)) and path not in calls:
            calls.append(path)
    traceback = strip_ansi("\n".join(error.traceback))
    calls.sort(key=lambda path: (path.rsplit(".", 1)[-1] + "(" not in traceback, path.count(".") == 0))
    missing = None
    if error.ename == "AttributeError" and (match := _MISSING_ATTRIBUTE.search(error.evalue)):
        for node in nodes:
            if isinstance(node, ast.Attribute) and node.attr == match.group(1) and (path := _dotted(node.value)):
                missing = (path, node.attr)
                calls = [c for c in calls if c != f"{path}.{node.attr}"]
                break
    return calls[:MAX_CALLS], missing


def _end(node: ast.AST, default: int) -> int:
    return getattr(node, "end_lineno", None) or default


def _dotted(node: ast.expr) -> str | None:
    """``pd.concat``, ``df.pivot``, ``plt.style.use``: a name and its attributes, nothing called or indexed."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


async def kernel_facts(reader: KernelReader, source: str, failure: ExecutionResult) -> str:
    """Lines on what the failing line uses, read from the kernel; "" when there is nothing to read or it failed."""
    calls, missing = probe_targets(source, failure)
    if not calls and missing is None:
        return ""
    text = await reader.evaluate(probe_expression(calls, missing))
    if not text:
        return ""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):  # cut short: not a whole literal
        return ""
    return str(value)[:FACT_CHARS] if isinstance(value, str) else ""
