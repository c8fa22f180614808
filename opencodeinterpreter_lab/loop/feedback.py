"""Turning execution results into compact model input, and model answers into code.

Pure functions shared by the fix loop, the headless fixer and the benchmarks. Prompt evaluation dominates latency
on a CPU (~64 tokens/s for the 1.5B model), so everything here aims for short text that keeps what matters: the head
of long output and its tail, the error line and the last frames of a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")
_FENCE = re.compile(r"^```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def head_and_tail(text: str, max_chars: int, marker: str = "\n[… {n} characters cut …]\n") -> str:
    """Keep the start and the end of ``text`` within about ``max_chars`` characters."""
    if len(text) <= max_chars:
        return text
    head = max_chars * 2 // 5
    tail = max_chars - head
    return text[:head] + marker.format(n=len(text) - head - tail) + text[-tail:]


@dataclass(frozen=True)
class ErrorInfo:
    ename: str
    evalue: str
    traceback: tuple[str, ...] = ()


def format_error(error: ErrorInfo, max_chars: int = 1500) -> str:
    """An ANSI-free traceback within about ``max_chars`` that keeps what locates the bug.

    Frames in the user's cells are kept whole; frames inside libraries shrink to their location and the line that
    raised. When that is still too long, the last frames (ending with ``ename: evalue``) win over earlier ones, and
    a single huge frame is cut in its middle.
    """
    frames = [_compact(strip_ansi(frame)) for frame in error.traceback if frame.strip()]
    chained = [i for i, frame in enumerate(frames) if _CHAINED.search(frame)]
    if chained:  # only the final exception of a chain: the one the cell actually raised
        frames = frames[chained[-1] + 1 :]
    frames = [frame if _is_user_frame(frame) else _shorten_library_frame(frame) for frame in frames if frame]
    if not frames:
        frames = [f"{error.ename}: {strip_ansi(error.evalue)}"]
    kept: list[str] = []
    used = 0
    for frame in reversed(frames):
        if kept and used + len(frame) > max_chars:
            kept.append(f"[… {len(frames) - len(kept)} earlier frames cut …]")
            break
        kept.append(frame)
        used += len(frame)
    return head_and_tail("\n".join(reversed(kept)), max_chars)


_CHAINED = re.compile(
    r"^(The above exception was the direct cause of the following exception:|"
    r"During handling of the above exception, another exception occurred:)$",
    re.MULTILINE,
)
_SITE_PACKAGES = re.compile(r"\S*/(site|dist)-packages/")


def _is_user_frame(frame: str) -> bool:
    return "Cell In[" in frame or "<ipython-input-" in frame or "Traceback (most recent call last)" in frame


def _shorten_library_frame(frame: str) -> str:
    lines = frame.splitlines()
    if len(lines) <= 2:
        return frame
    raising = [line for line in lines[1:] if re.match(r"\s*-+>", line) and "Could not get source" not in line]
    return "\n".join([_SITE_PACKAGES.sub("", lines[0]), *raising])


def _compact(frame: str) -> str:
    """Drop IPython's ruler lines and header padding: tokens the model does not need."""
    lines = [re.sub(r" {4,}Traceback", "  Traceback", line.rstrip()) for line in frame.splitlines() if line.strip(" -")]
    return "\n".join(lines)


def extract_code_blocks(markdown: str) -> list[tuple[str, str]]:
    """Fenced code blocks as ``(language, code)`` pairs, in order; an unclosed last block counts too."""
    blocks = [(m.group(1).lower(), m.group(2).rstrip("\n")) for m in _FENCE.finditer(markdown)]
    last_close = 0
    for m in _FENCE.finditer(markdown):
        last_close = m.end()
    rest = markdown[last_close:]
    opening = re.search(r"^```[ \t]*([\w+#.-]*)[^\n]*\n", rest, re.MULTILINE)
    if opening:
        code = rest[opening.end() :].rstrip("\n")
        if code.strip():
            blocks.append((opening.group(1).lower(), code))
    return blocks


def last_code_block(markdown: str, language: str = "python") -> str | None:
    """The code the model proposes: the last block in ``language``, else the last untagged one, else the last one."""
    blocks = extract_code_blocks(markdown)
    if not blocks:
        return None
    tagged = [code for lang, code in blocks if lang in (language, _ALIASES.get(language, language))]
    untagged = [code for lang, code in blocks if not lang]  # often the output the model expects, after the code
    return (tagged or untagged or [code for _, code in blocks])[-1]


def first_code_block_end(markdown: str) -> int | None:
    """Where the first closed code block of ``markdown`` ends, if there is one."""
    match = _FENCE.search(markdown)
    return match.end() if match else None


def prose(markdown: str) -> str:
    """The answer without its code blocks (closed or not): the model's explanation."""
    text = _FENCE.sub("", markdown).split("```")[0]
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_ALIASES = {"python": "py", "javascript": "js", "typescript": "ts"}


def same_code(a: str, b: str) -> bool:
    """Equal but for trailing whitespace on lines and blank lines at the ends."""

    def norm(code: str) -> str:
        return "\n".join(line.rstrip() for line in code.strip("\n").splitlines())

    return norm(a) == norm(b)
