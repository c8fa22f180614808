"""Fill-in-the-middle prompts for inline completions, and the trimming of what the model fills in.

FIM-trained coders fill a hole marked with their own special tokens, prefix first; in Qwen2.5-Coder's::

    <|fim_prefix|>{cells above}{code before the cursor}<|fim_suffix|>{code after the cursor}<|fim_middle|>

(the in-process completer takes the three tokens from the GGUF's vocabulary, so DeepSeek-Coder's work too; a
remote server gets this text, Qwen's spelling).

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
    moves on to the next cell), and llama.cpp keeps reusing what it evaluated. Only text near the cursor (twice the
    budget, in characters) is ever tokenized, so a huge cell costs no more than a big one.
    """
    window = budget.prefix_tokens * CHARS_PER_TOKEN * 2
    suffix = _keep_head(
        _strip_specials(suffix[: budget.suffix_tokens * CHARS_PER_TOKEN * 2]), budget.suffix_tokens, count
    )
    own = _strip_specials(_tail_lines(prefix, window))
    *_, indent = own.rpartition("\n")
    if not indent.strip():  # the cursor after an indentation: the model writes it itself (see typed_indent)
        own = own[: len(own) - len(indent)]
    blocks = [f"{CELL_MARK}\n{cell.rstrip()}\n\n" for cell in _nearest_cells(cells_above, window)]
    if blocks:
        blocks.append(f"{CELL_MARK}\n")
    blocks.extend(_lines(own))
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


def _lines(text: str) -> list[str]:
    """The lines of ``text``, blank ones joined to the line after them (fewer pieces to count)."""
    lines: list[str] = []
    pending = ""
    for line in text.splitlines(keepends=True):
        pending += line
        if line.strip():
            lines.append(pending)
            pending = ""
    if pending or not lines:
        lines.append(pending)
    return lines


def typed_indent(prefix: str) -> str:
    """The indentation the user already typed on the cursor's line (JupyterLab indents after ``:``): the prompt
    leaves it out, because the model writes indentation together with the code, and the ghost text then leaves it
    out of what the model wrote."""
    *_, last_line = prefix.rpartition("\n")
    return last_line if not last_line.strip() else ""


def _tail_lines(text: str, chars: int) -> str:
    """The end of ``text`` in about ``chars``, from a line start that moves in steps (stable while typing)."""
    if len(text) <= chars:
        return text
    step = max(1, chars // 4)
    drop = -(-(len(text) - chars) // step) * step
    rest = text[drop:]
    first_break = rest.find("\n")
    return rest[first_break + 1 :] if 0 <= first_break < len(rest) - 1 else rest


def _nearest_cells(cells: Sequence[str], chars: int) -> list[str]:
    """The cells nearest the cursor (the last ones) that fit in ``chars`` together, whole, in their order."""
    kept: list[str] = []
    for cell in reversed(cells):
        if len(cell) > chars:
            break
        kept.insert(0, _strip_specials(cell))
        chars -= len(cell)
    return kept


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
    """User text never reaches the model as control tokens (a cell that mentions ``<|fim_middle|>``, even as
    ``<|fim_<|x|>middle|>``)."""
    while (stripped := _SPECIAL.sub("", text)) != text:
        text = stripped
    return text


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

    def __init__(self, suffix: str, max_lines: int, indent: str = "") -> None:
        self.max_lines = max(1, max_lines)
        self._indent = indent
        """Indentation the user typed and the prompt left out (:func:`typed_indent`): not shown again."""
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
        while self._indent and piece and piece[0] == self._indent[0]:
            piece, self._indent = piece[1:], self._indent[1:]
        if piece:
            self._indent = ""  # the model indents otherwise: keep what it wrote
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
        endings = (self._next_line, CELL_MARK) if self._next_line else (CELL_MARK,)
        if not self.done and last_break >= 0 and partial and any(end.startswith(partial) for end in endings):
            visible = visible[:last_break]  # this line may yet be a repeat of the code below, or a new cell
        visible = visible.rstrip()
        new = visible[self._sent :]
        self._sent = max(self._sent, len(visible))
        return new
