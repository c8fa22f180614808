"""Compact model input from execution results, and code out of model answers."""

from __future__ import annotations

import base64
import struct
import zlib

from opencodeinterpreter_lab.loop.execution import ExecutionResult
from opencodeinterpreter_lab.loop.feedback import (
    ErrorInfo,
    extract_code_blocks,
    format_error,
    head_and_tail,
    last_code_block,
    prose,
    same_code,
    strip_ansi,
)

# An IPython traceback of a chained pandas KeyError, as the kernel sends it (ANSI colours included).
CHAINED_TRACEBACK = (
    "\x1b[31m---------------------------------------------------------------------------\x1b[39m",
    "\x1b[31mKeyError\x1b[39m                                  Traceback (most recent call last)",
    "File pandas/_libs/index.pyx:167, in pandas._libs.index.IndexEngine.get_loc()\n"
    "--> 167 'Could not get source, probably due dynamically evaluated source code.'",
    "\x1b[31mKeyError\x1b[39m: 'prices'\n\nThe above exception was the direct cause of the following exception:\n",
    "\x1b[31mKeyError\x1b[39m                                  Traceback (most recent call last)",
    "Cell \x1b[32mIn[4]\x1b[39m, line 1\n----> 1 total = df['prices'].sum()\n",
    "File /venv/lib/python3.11/site-packages/pandas/core/frame.py:4102, in DataFrame.__getitem__(self, key)\n"
    "   4100 if self.columns.nlevels > 1:\n   4101     return self._getitem_multilevel(key)\n"
    "-> 4102 indexer = self.columns.get_loc(key)\n   4103 if is_integer(indexer):",
    "\x1b[31mKeyError\x1b[39m: 'prices'",
)


def test_a_traceback_keeps_the_users_frame_and_the_raising_library_line() -> None:
    text = format_error(ErrorInfo("KeyError", "'prices'", CHAINED_TRACEBACK))
    assert "\x1b" not in text
    assert "Could not get source" not in text, "only the last exception of a chain is kept"
    assert "----> 1 total = df['prices'].sum()" in text
    assert "File pandas/core/frame.py:4102, in DataFrame.__getitem__(self, key)" in text
    assert "-> 4102 indexer = self.columns.get_loc(key)" in text
    assert "4101" not in text, "library context lines are dropped"
    assert "------" not in text
    assert text.endswith("KeyError: 'prices'")


def test_a_megabyte_traceback_is_cut_to_its_ends() -> None:
    frames = (*(f"File lib{i}.py:1, in f{i}()\n-> 1 f{i + 1}()" for i in range(20_000)), "RecursionError: deep")
    text = format_error(ErrorInfo("RecursionError", "deep", frames), max_chars=1000)
    assert len(text) < 1200
    assert text.endswith("RecursionError: deep")
    assert "earlier frames cut" in text


def test_an_error_without_traceback_still_names_itself() -> None:
    assert format_error(ErrorInfo("KernelDied", "The kernel died.")) == "KernelDied: The kernel died."


def test_output_summaries_keep_head_and_tail_and_note_rich_outputs() -> None:
    long_stream = {"output_type": "stream", "name": "stdout", "text": "".join(f"line {i}\n" for i in range(10_000))}
    image = {
        "output_type": "display_data",
        "data": {"image/png": "iVBOR...", "text/plain": "<Figure size 640x480 with 1 Axes>"},
        "metadata": {"image/png": {"width": 640, "height": 480}},
    }
    summary = ExecutionResult("ok", [long_stream, image]).summary(max_chars=500)
    assert summary.startswith("line 0\nline 1\n")
    assert "characters cut" in summary
    assert "[image/png output, 640x480, 1 KB]" in summary
    assert "<Figure" not in summary
    assert ExecutionResult("ok", []).summary() == "(no output)"
    assert strip_ansi("\x1b[1;31mred\x1b[0m") == "red"
    assert head_and_tail("abcdef", 10) == "abcdef"


def test_an_image_without_metadata_is_summarised_with_its_size_from_its_header() -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 300, 200, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\0" + b"\xff" * 900 for _ in range(200)))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    image = {"output_type": "display_data", "data": {"image/png": base64.b64encode(png).decode()}, "metadata": {}}
    assert ExecutionResult("ok", [image]).summary() == "[image/png output, 300x200, 1 KB]"


def test_code_blocks_are_extracted_even_when_the_last_is_unclosed() -> None:
    answer = "Use this:\n```python\nx = 1\n```\nor in a shell\n```bash\necho hi\n```\nthen\n```python\ny = 2\n"
    assert extract_code_blocks(answer) == [("python", "x = 1"), ("bash", "echo hi"), ("python", "y = 2")]
    assert last_code_block(answer) == "y = 2"
    assert last_code_block("```\nz = 3\n```") == "z = 3"
    assert last_code_block("```python\nprint(4)\n```\nOutput:\n```\n4\n```") == "print(4)", "not the expected output"
    assert last_code_block("```bash\nls\n```") == "ls", "any block beats none"
    assert last_code_block("no code here") is None
    assert prose("The typo.\n```python\nx = 1\n```\n") == "The typo."


def test_same_code_ignores_trailing_whitespace_only() -> None:
    assert same_code("x = 1  \n\n", "\nx = 1")
    assert not same_code("x = 1", "x = 2")
