"""Fill-in-the-middle prompts for inline completions, and the trimming of what the model fills in.

Qwen2.5-Coder (and the FIM-trained coders after it) fill a hole marked with its own tokens, prefix first::

    <|fim_prefix|>{cells above}{code before the cursor}<|fim_suffix|>{code after the cursor}<|fim_middle|>

The cells above go in front of the prefix as a percent-format script (``# %%`` between cells), which code models
have seen plenty of. The prompt is bounded by a token budget: whole cells are dropped from the top first, then
lines of the cell's own prefix, so that successive keystrokes keep the same start and llama.cpp reuses the
evaluated prefix; the suffix is short because every keystroke evaluates it again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE = "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"
STOP_TEXTS = ("<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|im_end|>", "<|fim_prefix|>", "<|repo_name|>")
"""Special tokens that end a middle (as text, for servers that send them)."""
CELL_MARK = "# %%"

CHARS_PER_TOKEN = 3
"""A conservative estimate for code, used before anything is tokenized (and by engines without a tokenizer)."""
MAX_CELL_CHARS = 200_000
"""Cells beyond this are cut before any work: a huge cell costs no more than a big one."""

TokenCounter = Callable[[str], int]


def estimate_tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)


@dataclass(frozen=True)
class CompletionRequest:
    prefix: str
    """The code before the cursor, in its cell or file."""
    suffix: str
    """The code after the cursor."""
    cells_above: tuple[str, ...] = ()
    max_lines: int = 3

    @property
    def max_tokens(self) -> int:
        return min(256, 32 * self.max_lines)


@dataclass(frozen=True)
class Budget:
    prefix_tokens: int = 1024
    """Code before the cursor, cells above included."""
    suffix_tokens: int = 64
    """Code after the cursor (evaluated again on every keystroke: keep it short)."""


@dataclass(frozen=True)
class FimPrompt:
    prefix: str
    suffix: str

    @property
    def text(self) -> str:
        return f"{FIM_PREFIX}{self.prefix}{FIM_SUFFIX}{self.suffix}{FIM_MIDDLE}"


def build_prompt(
    prefix: str,
    suffix: str,
    cells_above: Sequence[str] = (),
    budget: Budget = Budget(),
    count: TokenCounter = estimate_tokens,
) -> FimPrompt:
    """The prompt for a cursor between ``prefix`` and ``suffix`` in a cell below ``cells_above``.

    What does not fit is dropped from the top, whole cells first, then whole lines of the cell itself, in steps of
    a quarter of the budget: the start of the prompt then stays put while the user types a few hundred tokens (or
    moves on to the next cell), and llama.cpp keeps reusing what it evaluated.
    """
    suffix = _keep_head(_strip_specials(suffix[:MAX_CELL_CHARS]), budget.suffix_tokens, count)
    own = _strip_specials(prefix[-MAX_CELL_CHARS:])
    blocks = [f"{CELL_MARK}\n{_strip_specials(cell[:MAX_CELL_CHARS]).rstrip()}\n\n" for cell in cells_above]
    if blocks:
        blocks.append(f"{CELL_MARK}\n")
    blocks.extend(own.splitlines(keepends=True) or [""])
    costs = [count(block) for block in blocks]
    start, excess = 0, sum(costs) - budget.prefix_tokens
    if excess > 0:
        step = max(1, budget.prefix_tokens // 4)
        cut = -(-excess // step) * step
        while start < len(blocks) - 1 and cut > 0:  # the cursor's own line always stays
            cut -= costs[start]
            start += 1
    kept = "".join(blocks[start:])
    if count(kept) > budget.prefix_tokens:  # one huge line
        kept = kept[-budget.prefix_tokens * CHARS_PER_TOKEN :]
    return FimPrompt(prefix=kept, suffix=suffix)


def _keep_head(text: str, tokens: int, count: TokenCounter) -> str:
    if count(text) <= tokens:
        return text
    text = text[: tokens * CHARS_PER_TOKEN * 2]
    lines = text.splitlines(keepends=True)[:-1]
    while lines and count("".join(lines)) > tokens:
        lines.pop()
    return "".join(lines) if lines else text[: tokens * CHARS_PER_TOKEN]


_SPECIAL = re.compile(r"<\|[a-z_]+\|>")


def _strip_specials(text: str) -> str:
    """User text never reaches the model as control tokens (a cell that mentions ``<|fim_middle|>``)."""
    return _SPECIAL.sub("", text)


def looks_binary(text: str) -> bool:
    """Text a completion cannot help with: control characters (other than tabs and newlines) in quantity."""
    sample = text[-4000:]
    if not sample:
        return False
    controls = sum(1 for c in sample if (ord(c) < 32 and c not in "\t\n\r") or c == "\ufffd")
    return controls > max(2, len(sample) // 100)


class MiddleTrimmer:
    """Cuts the streamed middle where a ghost text should end: after ``max_lines`` lines, before a blank line or a
    new cell (the end of a block), or before a line that repeats the line following the cursor. Feed it the
    model's pieces; it returns what may be shown so far (never more than it will keep: trailing blanks, and a line
    that may yet turn out to be the repeat, are held back) and turns ``done`` once nothing more is wanted."""

    def __init__(self, suffix: str, max_lines: int) -> None:
        self.max_lines = max(1, max_lines)
        self._next_line = next((line.strip() for line in suffix.splitlines() if line.strip()), "")
        self.text = ""
        self.done = False
        self._sent = 0

    def feed(self, piece: str) -> str:
        if self.done:
            return ""
        for stop in STOP_TEXTS:
            if stop in piece:
                piece, self.done = piece[: piece.index(stop)], True
        self.text += piece
        lines = self.text.split("\n")
        for i, line in enumerate(lines[:-1] if not self.done else lines):
            if i > 0 and (not line.strip() or line.strip().startswith(CELL_MARK) or self._repeats(line)):
                self.text, self.done = "\n".join(lines[:i]), True
                break
            if i + 1 >= self.max_lines and i < len(lines) - 1:
                self.text, self.done = "\n".join(lines[: i + 1]), True
                break
        return self._release()

    def finish(self) -> str:
        """The model stopped: the rest of what may be shown."""
        return self.feed("<|endoftext|>") if not self.done else self._release()

    def _repeats(self, line: str) -> bool:
        return bool(self._next_line) and line.strip() == self._next_line

    def _release(self) -> str:
        visible = self.text
        last_break = visible.rfind("\n")
        partial = visible[last_break + 1 :].strip()
        if not self.done and last_break >= 0 and partial and self._next_line.startswith(partial):
            visible = visible[:last_break]  # this line may be the repeat of the code below
        visible = visible.rstrip()
        new = visible[self._sent :]
        self._sent = max(self._sent, len(visible))
        return new
