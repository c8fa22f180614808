"""What a common error usually means, in a sentence for the fix prompt.

Small models read a traceback's last line literally: told "Use a list instead", the 1.5B model wraps the same tuple in
the same brackets; told that an int array cannot hold the result of ``/=``, it casts the result back to int. A hint
names the usual cause and the idiomatic repair of one well-known Python, NumPy or pandas error. Each hint is true for
any cell that raises that error (the model still decides what this cell needs), and some use what else the prompt
knows: the earlier cells (a built-in they rebind) and the variable summary (keys close to a missing one).
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .cells import parse_cell, python_source, shadowed_builtins
from .feedback import ErrorInfo


@dataclass(frozen=True)
class HintContext:
    error: ErrorInfo
    source: str
    earlier: Sequence[str]
    variables: str


Rule = Callable[[re.Match[str], HintContext], str | None]


def _none_value(match: re.Match[str], context: HintContext) -> str:
    causes = ["a function without a `return` (it returns None)"]
    for name, call in _regex_calls(context.source):
        causes.insert(0, f"`{call}` found no match (re.{name} takes the pattern first, then the string)")
    causes.append("a method that works in place and returns None (list.sort(), inplace=True)")
    return "A value here is None. Usual causes: " + "; ".join(causes) + "."


def _regex_calls(source: str) -> list[tuple[str, str]]:
    """``re.search``, ``re.match`` and ``re.fullmatch`` calls in ``source``: (function name, source text)."""
    tree = parse_cell(source)
    if tree is None:
        return []
    return [
        (node.func.attr, ast.get_source_segment(python_source(source), node) or "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("search", "match", "fullmatch")
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "re"
    ]


def _missing_key(match: re.Match[str], context: HintContext) -> str | None:
    key = match.group(1)
    known = set(re.findall(r"'([^'\n]{1,60})'", context.variables + "\n" + "\n".join(context.earlier))) - {key}
    close = [k for k in known if k.strip().lower() == key.strip().lower()]
    close += [k for k in difflib.get_close_matches(key, sorted(known), n=2, cutoff=0.75) if k not in close]
    if not close:
        return None
    names = " or ".join(repr(k) for k in close[:2])
    note = " (note the spaces: strip them where the names are made, e.g. df.columns.str.strip())"
    return f"There is no key {key!r}; did you mean {names}?" + (note if any(k != k.strip() for k in close) else "")


def _label_not_position(match: re.Match[str], context: HintContext) -> str | None:
    if ".loc[" not in context.source:
        return None
    return ".loc selects by label and the index labels are not 0, 1, …: .iloc selects by position."


_RULES: tuple[tuple[re.Pattern[str], str | Rule], ...] = tuple(
    (re.compile(pattern), hint)
    for pattern, hint in (
        (r"'NoneType' object (has no attribute|is not (subscriptable|iterable))|of type 'NoneType'", _none_value),
        (r"^KeyError: ['\"](.+)['\"]$", _missing_key),
        (r"^KeyError: -?\d+$", _label_not_position),
        (
            r"can only concatenate str \(not \"(int|float)\"\) to str|unsupported operand type\(s\) for .*'str'"
            r"|not supported between instances of '(str|int|float)' and '(str|int|float)'",
            "A str is mixed with a number. For arithmetic or comparisons convert the text with int() or float() (each "
            "element of a list; max, min and sorted compare strings as text, so convert first); for messages use an "
            "f-string.",
        ),
        (
            r"Cannot subset columns with a tuple",
            "Select several columns with a list inside the brackets: obj[['a', 'b']] (two pairs of brackets).",
        ),
        (
            r"Cannot cast ufunc '\w+' output from dtype\('float",
            "An in-place operator (/=, *=, …) cannot store floats in an integer array: assign a new array "
            "instead (x = x / 2).",
        ),
        (
            r"cannot reshape array of size (\d+) into shape",
            "The new shape must hold exactly as many elements as the array; -1 lets NumPy work out one dimension "
            "(reshape(-1, 3)).",
        ),
        (
            r"shapes \(.*\) and \(.*\) not aligned|matmul: Input operand \d+ has a mismatch in its core dimension",
            "For a @ b (or np.dot) the last dimension of a must equal the first of b: transpose one (.T) or swap "
            "them, as the intent needs.",
        ),
        (
            r"axis -?\d+ is out of bounds for array of dimension",
            "Axes count from 0: for a 2-D array axis=0 gives one result per column, axis=1 one per row.",
        ),
        (
            r"The truth value of an? (Series|DataFrame|array).* is ambiguous",
            "Combine element-wise conditions with &, | and ~, each comparison in parentheses (not and/or/not); "
            ".any() or .all() give one truth value.",
        ),
        (r"'DataFrame' object has no attribute 'append'", "DataFrame.append was removed in pandas 2: use pd.concat."),
        (r"object has no attribute 'iteritems'", ".iteritems() was removed (Python 3, pandas 2): use .items()."),
        (r"Can only use \.dt accessor", "Convert the column first: pd.to_datetime(column) (pass format= if needed)."),
        (r"Can only use \.str accessor", "The .str accessor needs text: convert with .astype(str) first."),
        (
            r"only integer scalar arrays can be converted to a scalar index",
            "np.concatenate, np.stack and np.vstack take the arrays in one sequence: np.concatenate([a, b]).",
        ),
        (
            r"'float' object cannot be interpreted as an integer",
            "range() and repetition need ints: convert with int(), or use np.arange for fractional steps.",
        ),
        (
            r"time data .* does not match format",
            "datetime.strptime(text, format) takes the text first and the format second; the format must match "
            "the text exactly.",
        ),
        (
            r"the JSON object must be str, bytes or bytearray",
            "json.loads reads JSON text into objects; json.dumps writes objects out as JSON text.",
        ),
        (
            r"takes no keyword arguments",
            "This function takes its arguments by position only: pass the same value positionally, f(x, value) "
            "instead of f(x, name=value).",
        ),
        (
            r"unhashable type: '(list|dict|set)'",
            "Lists, dicts and sets cannot be dict keys or set members: use tuples.",
        ),
        (
            r"invalid literal for int\(\) with base 10",
            "int() needs the text of a whole number: strip spaces and other characters, or use float() first.",
        ),
        (
            r"^NameError: name '(pd|np|plt|sns)' is not defined",
            "Import it: pandas as pd, numpy as np, matplotlib.pyplot as plt, seaborn as sns.",
        ),
    )
)


def error_hints(context: HintContext) -> list[str]:
    """Hints for ``context.error`` (Python only): the matching rules' sentences, then any rebound built-in."""
    error = context.error
    line = f"{error.ename}: {error.evalue}"
    hints = []
    for pattern, hint in _RULES:
        if match := pattern.search(line):
            text = hint if isinstance(hint, str) else hint(match, context)
            if text:
                hints.append(text)
    for name in shadowed_builtins(context.earlier, context.source):
        hints.append(f"An earlier cell rebinds the built-in {name}: `del {name}` at the top of this cell restores it.")
    return hints
