"""Runs *inside the user's kernel* (standard library only): try code in a forked copy of the kernel process.

:mod:`.trial` sends this file's source in one silent request and executes it in a namespace of its own. ``try_code``
forks the kernel; the copy runs the code as a cell (``shell.run_cell``: magics, the last expression's value, the
kernel's traceback format), with every message it would publish captured instead of sent, and writes a JSON report
to a pipe; then it exits. The kernel itself only waits for the report: its namespace, history and outputs stay as
they were. A copy that runs past ``timeout`` is killed.

The copy is the kernel's memory, not its world: files it writes and requests it makes are real, and it shares the
kernel's open files. Where a copy cannot be trusted to behave like the kernel, or would disturb it (no ``fork``, a
GPU runtime or a database client loaded, a cell that asks for input), the report says ``untried`` and the caller runs
the code the ordinary way.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import os
import re
import select
import signal
import sys
import time
import warnings
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_DISPLAYS = 8
_NOT_COPIED = {
    **dict.fromkeys(("torch", "tensorflow", "jax", "cupy"), "its device state does not survive a copy"),
    **dict.fromkeys(
        ("psycopg", "psycopg2", "pymysql", "MySQLdb", "sqlalchemy", "pymongo", "redis"),
        "a copy would share the kernel's open connections",
    ),
}
"""Libraries that, once loaded, make a copy behave unlike the kernel or disturb it: code is proposed untried."""


class _AskedForInput(Exception):
    pass


def _cut(text: str, limit: int) -> str:
    """Head and tail of ``text`` within ``limit`` characters."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return text[:half] + "\n…\n" + text[-half:]


def _untried(reason: str) -> str:
    return json.dumps({"status": "untried", "message": reason})


def _run(shell: Any, code: str, describe: str) -> dict[str, Any]:
    """In the copy: run ``code`` as a cell; what it printed, displayed and raised, in nbformat's shape (displays
    reduced to their text), and the value of the expression ``describe`` after it, as text."""
    stdout, stderr = io.StringIO(), io.StringIO()
    sys.stdout, sys.stderr = stdout, stderr
    displays: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    asked: list[bool] = []

    def capture(message: dict[str, Any]) -> None:  # a display or an execute_result: keep it, send nothing
        data = message.get("content", {}).get("data", {})
        reduced = {**dict.fromkeys(data, ""), "text/plain": str(data.get("text/plain", ""))}
        displays.append({"output_type": message["header"]["msg_type"], "data": reduced})

    def show_traceback(etype: type, evalue: BaseException, stb: list[str]) -> None:
        errors.append({"output_type": "error", "ename": etype.__name__, "evalue": str(evalue), "traceback": stb})

    def no_input(*args: object, **kwargs: object) -> str:
        asked.append(True)
        raise _AskedForInput()

    shell.kernel.session.send = lambda *args, **kwargs: None  # nothing the copy does reaches the kernel's clients
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # nor what C code writes to the process's stdout and stderr, which the kernel forwards
    os.dup2(devnull, 2)
    shell.display_pub.register_hook(capture)
    shell.displayhook.register_hook(capture)
    shell._showtraceback = show_traceback
    builtins.input = no_input
    shell.run_cell(code, store_history=False, silent=False)
    if asked:
        return {"status": "untried", "message": "the cell asks for input"}
    streams = [
        {"output_type": "stream", "name": name, "text": _ANSI.sub("", buffer.getvalue())}
        for name, buffer in (("stdout", stdout), ("stderr", stderr))
        if buffer.getvalue()
    ]
    for error in errors[-1:]:
        error["traceback"] = _ANSI.sub("", "\n".join(error["traceback"]))
    variables = ""
    if describe and not errors:
        with contextlib.suppress(Exception):  # what the code bound cannot be described: the run still counts
            variables = str(eval(describe, {"get_ipython": lambda: shell}))
    outputs = streams + displays[:MAX_DISPLAYS] + errors[-1:]
    return {"status": "error" if errors else "ok", "outputs": outputs, "variables": variables}


def _bounded(report: dict[str, Any], max_chars: int) -> str:
    """The report as JSON within ``max_chars``: every text cut (head and tail), the traceback's share the largest,
    tighter until it fits."""
    budget = max_chars
    while True:
        outputs = []
        for output in report.get("outputs", []):
            output = dict(output)
            if "text" in output:
                output["text"] = _cut(output["text"], budget // 5)
            if "data" in output:
                output["data"] = {**output["data"], "text/plain": _cut(output["data"]["text/plain"], budget // 40)}
            if "traceback" in output:
                output["evalue"] = _cut(output["evalue"], budget // 10)
                output["traceback"] = _cut(output["traceback"], budget * 2 // 5).split("\n")
            outputs.append(output)
        text = json.dumps({**report, "outputs": outputs, "variables": _cut(report.get("variables", ""), budget // 5)})
        if len(text) <= max_chars or budget < 100:
            return text
        budget //= 2


def try_code(shell: Any, code: str, timeout: float, max_chars: int, describe: str = "") -> str:
    """Run ``code`` in a copy of this kernel; a JSON report: ``status`` ok | error | timeout | untried, ``outputs``
    in nbformat's shape (display data reduced to its text), ``variables`` (the value of the expression ``describe``
    after a clean run, as text), ``message``."""
    if not hasattr(os, "fork"):
        return _untried("this platform cannot fork")
    for name, why in _NOT_COPIED.items():
        if name in sys.modules:
            return _untried(f"{name} is loaded: {why}")
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "fork() in a multi-threaded process": see the docstring
        pid = os.fork()
    if pid == 0:  # the copy: never return into the kernel's code
        try:
            os.close(read_end)
            try:
                text = _bounded(_run(shell, code, describe), max_chars)
            except BaseException as error:  # the copy could not run the cell the way the kernel does
                text = _untried(f"the copy failed: {type(error).__name__}")
            os.write(write_end, text.encode("utf-8", "replace"))
        finally:
            os._exit(0)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while (remaining := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([read_end], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        else:
            os.kill(pid, signal.SIGKILL)
            return json.dumps({"status": "timeout", "message": f"the copy ran longer than {timeout:g} s"})
    except BaseException:  # interrupted: take the copy down with the wait
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    text = b"".join(chunks).decode("utf-8", "replace")
    return text if text else _untried("the copy died")
