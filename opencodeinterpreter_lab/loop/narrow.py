"""The statement that raised: a narrower request when a small model hands the failing cell back unchanged.

Asked for the whole corrected cell, the 1.5B model often copies the cell as it was (it explains the right change, then
writes the code it read). Asked for the one statement the traceback points at, it has nothing to copy but that
statement: it writes it changed, and :func:`splice` puts it back into the cell, indented as it was. True of any error
raised by a line of the cell, whatever the error; no table per error.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass

from .cells import parse_cell

WHOLE_CELL_SHARE = 0.6
"""An answer holding this share of the cell's other lines is a whole cell, not a statement."""


@dataclass(frozen=True)
class Statement:
    first: int
    """Its first line in the cell, from 1."""
    last: int
    text: str
    """Dedented."""


def raising_statement(source: str, line: int | None) -> Statement | None:
    """The innermost statement of ``source`` on ``line`` (of a compound statement, its header), or None when
    there is nothing narrower than the cell: no line, a cell the kernel transforms line by line differently (cell
    magics), code that does not parse (its line alone, then), or a statement that is the whole cell."""
    lines = source.splitlines()
    if line is None or not 1 <= line <= len(lines) or source.lstrip().startswith("%%"):
        return None
    tree = parse_cell(source)
    first, last = line, line
    if tree is not None:
        around = [
            s for s in ast.walk(tree) if isinstance(s, ast.stmt) and s.lineno <= line <= (s.end_lineno or s.lineno)
        ]
        if not around:
            return None
        innermost = max(around, key=lambda s: s.lineno)
        first, last = innermost.lineno, innermost.end_lineno or innermost.lineno
        body = getattr(innermost, "body", None)
        if isinstance(body, list) and body and line < body[0].lineno:  # the header of an if/for/def/with
            last = body[0].lineno - 1
    if all(not text.strip() for n, text in enumerate(lines, 1) if not first <= n <= last):
        return None
    return Statement(first, last, textwrap.dedent("\n".join(lines[first - 1 : last])))


def splice(source: str, statement: Statement, replacement: str) -> str:
    """``source`` with ``statement`` replaced by ``replacement``, indented as the statement was. A replacement
    that holds most of the cell's other lines is a whole cell: it is returned as it is."""
    lines = source.splitlines()
    others = {text.strip() for n, text in enumerate(lines, 1) if not statement.first <= n <= statement.last}
    others.discard("")
    written = {text.strip() for text in replacement.splitlines()}
    if others and len(others & written) >= WHOLE_CELL_SHARE * len(others):
        return replacement
    first_line = lines[statement.first - 1]
    indent = first_line[: len(first_line) - len(first_line.lstrip())]
    new = textwrap.indent(textwrap.dedent(replacement).strip("\n"), indent).splitlines()
    return "\n".join([*lines[: statement.first - 1], *new, *lines[statement.last :]])
