"""What a cell reads, binds and shows, and which earlier cells matter to it.

Static analysis with ``ast`` of the cell as the kernel runs it: IPython's syntax (``%magic``, ``!cmd``, ``x?``) is
transformed the way IPython does first (:func:`parse_cell`), and the body of ``%%time``-like cell magics is read as
the Python it is. Shared by the fixer's context selection, its checks on a fix's code (guards, dropped work, data made
up, names only a failed run bound) and the error hints. Code that still does not parse falls back to regexes.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import functools
import keyword
import re
from collections.abc import Sequence
from typing import Any

CONTEXT_CHARS = 1500

_BUILTINS = frozenset(dir(builtins)) | {"get_ipython", "display", "In", "Out", "exit", "quit"}
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
"""Cell magics whose body is Python run in the user's namespace: analysed as that body."""
_PRINTS = frozenset({"print", "display"})
"""Calls that always output something."""
_RETURNS_SHOWN = frozenset({"plot", "imshow", "hist", "scatter", "bar", "head", "tail", "describe"})
"""Calls that return what a cell ending with them displays."""
_SHOWS = _PRINTS | _RETURNS_SHOWN | {"show"}
"""Calls whose point is what they show (a figure shows nothing with a non-interactive backend)."""


@functools.lru_cache(maxsize=1)
def _transformer() -> Any:
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # no IPython in this environment: the regex fallback below
        return None
    return TransformerManager()  # type: ignore[no-untyped-call]


@functools.lru_cache(maxsize=256)
def python_source(source: str) -> str:
    """``source`` as Python: IPython's transforms applied (``%matplotlib inline`` becomes
    ``get_ipython().run_line_magic(...)``), the body of a ``%%time``-like cell magic unwrapped."""
    first, _, body = source.lstrip().partition("\n")
    if first.startswith("%%") and first[2:].split(" ")[0] in _PYTHON_CELL_MAGICS:
        return python_source(body)
    transformer = _transformer()
    if transformer is not None:
        try:
            return str(transformer.transform_cell(source))
        except Exception:  # IPython could not make sense of it either
            return source
    return re.sub(r"^(\s*)[%!].*$", r"\1pass", source, flags=re.MULTILINE)


@functools.lru_cache(maxsize=1024)
def parse_cell(source: str) -> ast.Module | None:
    """The cell's syntax tree as the kernel would run it, or None when it does not parse (a syntax error, or code so
    deeply nested that the parser gives up). Cached: every check of every answer reads the same earlier cells (the
    trees are shared; nothing here changes them)."""
    try:
        return ast.parse(python_source(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def used_names(source: str) -> set[str]:
    """Names a cell reads, built-ins and ``x += …`` targets included (a regex fallback for code that does not parse)."""
    tree = parse_cell(source)
    if tree is None:
        return set(_IDENTIFIER.findall(source))
    return _used_in(tree)


def _used_in(tree: ast.AST) -> set[str]:
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return names | {
        n.target.id for n in ast.walk(tree) if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)
    }


_BOUND_BY_LINE = re.compile(
    r"^(?:(?:def|class)\s+([A-Za-z_]\w*)"
    r"|for\s+([\w\s,()]+?)\s+in\b"
    r"|(?:from\s+\S+\s+)?import\s+([^#\n]+)"
    r"|([A-Za-z_][\w\s,()]*?)\s*(?::[^=\n]+)?=(?!=))",
    re.MULTILINE,
)


def defined_names(source: str) -> set[str]:
    """Names a cell binds: assignments, functions, classes, imports, loop targets (for code that does not parse,
    what its unindented lines bind, read with a regex)."""
    tree = parse_cell(source)
    if tree is None:
        return _defined_by_lines(source)
    return _defined_in(tree)


def _defined_in(tree: ast.AST) -> set[str]:
    """Names bound in the cell's own scope: not the locals of functions, lambdas and comprehensions."""
    names: set[str] = set()
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names if alias.name != "*")
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            pending += node.decorator_list  # their bodies are another scope
        elif not isinstance(node, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            pending += ast.iter_child_nodes(node)
    return names


def _defined_by_lines(source: str) -> set[str]:
    names: set[str] = set()
    for match in _BOUND_BY_LINE.finditer(source):
        definition, loop_targets, imported, assigned = match.groups()
        if imported:
            parts = [part.split(" as ")[-1].strip().split(".")[0] for part in imported.strip("() ").split(",")]
            names.update(part for part in parts if part.isidentifier())
        else:
            names.update(_IDENTIFIER.findall(definition or loop_targets or assigned or ""))
    return {name for name in names if not keyword.iskeyword(name)}


def relevant_cells(earlier: Sequence[str], source: str, max_chars: int = CONTEXT_CHARS) -> list[str]:
    """The earlier cells that define names ``source`` uses, latest definitions first, within ``max_chars``.

    A failing cell's root cause is often where its names were defined (a built-in rebound by an earlier cell, too);
    cells that define nothing it uses are noise that costs prompt-evaluation time.
    """
    needed = used_names(source)
    defined = [defined_names(cell) for cell in earlier]
    known = set().union(*defined) if defined else set()
    for name in needed - known - _BUILTINS:  # a misspelt name: the cells defining what it was probably meant to be
        needed.update(difflib.get_close_matches(name, known, n=2, cutoff=0.75))
    chosen: list[int] = []
    budget = max_chars
    for index in range(len(earlier) - 1, -1, -1):
        if not needed:
            break
        defines = defined[index] & needed
        if defines and len(earlier[index]) <= budget:
            chosen.append(index)
            budget -= len(earlier[index])
            needed -= defines
    return [earlier[i] for i in sorted(chosen)]


def _unconditional(statements: Sequence[ast.stmt]) -> list[ast.stmt]:
    """The statements that always run: not under an if, a try or a loop (``with`` bodies included)."""
    always: list[ast.stmt] = []
    for statement in statements:
        if isinstance(statement, ast.With | ast.AsyncWith):
            always += _unconditional(statement.body)
        elif not isinstance(statement, ast.If | ast.Try | ast.For | ast.AsyncFor | ast.While | ast.Match):
            always.append(statement)
    return always


def _effects(statements: Sequence[ast.stmt]) -> set[str]:
    """What statements do, as comparable keys: the names they bind, and ``call:f`` for each call made as a
    statement of its own (``print(x)``, ``plt.show()``, ``df.plot()``): the cell's visible work."""
    effects: set[str] = set()
    for statement in statements:
        effects |= _defined_in(statement)
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            effects.add("call:" + _call_name(statement.value))
    return effects


def _call_name(call: ast.Call) -> str:
    """``print``, ``plt.show``, ``df.plot``: the called name as written, without arguments."""
    return ast.unparse(call.func) if isinstance(call.func, ast.Name | ast.Attribute) else "<call>"


def _all_effects(tree: ast.Module) -> set[str]:
    """The effects of every statement in the cell's own scope, conditional ones included (not function bodies)."""
    statements: list[ast.stmt] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        statement = pending.pop()
        statements.append(statement)
        if not isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            pending += [child for child in ast.iter_child_nodes(statement) if isinstance(child, ast.stmt)]
            pending += [s for handler in getattr(statement, "handlers", []) for s in handler.body]
            pending += [s for case in getattr(statement, "cases", []) for s in case.body]
    return _effects(statements)


def guarded_names(original: str, fix: str) -> list[str]:
    """What the original cell always does that the fix does only under an if, a try or a loop: a fix that hides the
    error (``if match: order_id = ...``, ``if rows: print(total)``) instead of fixing it. Bound names, and
    ``f()`` for a call made as a statement."""
    original_tree, fix_tree = parse_cell(original), parse_cell(fix)
    if original_tree is None or fix_tree is None:
        return []
    always = _effects(_unconditional(fix_tree.body))
    sometimes = _all_effects(fix_tree) - always
    return sorted(_readable(e) for e in _effects(_unconditional(original_tree.body)) & sometimes)


def _readable(effect: str) -> str:
    return effect[5:] + "()" if effect.startswith("call:") else effect


def dropped_names(original: str, fix: str) -> list[str]:
    """What the original cell always does that the fix does not do at all: names it sets (unless the fix sets a
    close spelling, a typo it corrects) and what it shows (``print``, ``display``, plots; its last expression):
    a fix that drops the cell's work (``orders['id'] = ...`` instead of ``merged = orders.merge(...)``, ``import
    seaborn`` instead of the cell) rather than repairing it."""
    original_tree, fix_tree = parse_cell(original), parse_cell(fix)
    if original_tree is None or fix_tree is None:
        return []
    done = _all_effects(fix_tree)
    bound = {e for e in done if not e.startswith("call:")}
    expected = _effects(_unconditional(original_tree.body))
    missing = {e for e in expected - done if not e.startswith("call:") or _shows(e)}
    dropped = [e for e in missing if e.startswith("call:") or not difflib.get_close_matches(e, bound, n=1, cutoff=0.75)]
    if _shows_last_value(original_tree) and not (_shows_last_value(fix_tree) or any(map(_shows, done))):
        dropped.append("call:<its last expression, which the cell displays>")
    return sorted(_readable(e) for e in dropped)


def _shows(effect: str) -> bool:
    return effect.startswith("call:") and effect.rsplit(".", 1)[-1].removeprefix("call:") in _SHOWS


def _shows_last_value(tree: ast.Module) -> bool:
    """Whether the cell ends with an expression that Jupyter surely displays: a value (``df``, ``df.shape``,
    ``total / n``) or a call made to show one (``df.head()``). Other calls may return None (``xs.append(x)``)."""
    last = tree.body[-1] if tree.body else None
    if not isinstance(last, ast.Expr):
        return False
    value = last.value
    if isinstance(value, ast.Call):
        return _call_name(value).rsplit(".", 1)[-1] in _RETURNS_SHOWN
    return not isinstance(value, ast.Await | ast.Yield | ast.YieldFrom)


def shows_output(source: str) -> bool:
    """Whether the cell, run cleanly, surely outputs something: a ``print`` or ``display`` it always calls, or a
    last expression that Jupyter displays (figures are left out: with a non-interactive backend they show nothing)."""
    tree = parse_cell(source)
    if tree is None:
        return False
    printed = {e.removeprefix("call:") for e in _effects(_unconditional(tree.body))} & _PRINTS
    return bool(printed) or _shows_last_value(tree)


def recreated_names(original: str, fix: str, earlier: Sequence[str]) -> list[str]:
    """Names the failing cell only reads, which the ``earlier`` cells bind, that the fix assigns, or writes an item of
    at a fixed place, from nothing the earlier cells made (``data = [1, 2, 3]``, ``df['score'] = 0`` for a missing
    column, a pasted cell that rebuilds ``df`` from literals): data made up to make the error go away, dropping what
    the earlier cells made. Deriving the value again from earlier data
    (``df = df.rename(...)``, ``numbers = [int(x) for x in line.split()]``) and redefining a function or class
    (repairing it) are not made up."""
    original_tree, fix_tree = parse_cell(original), parse_cell(fix)
    if original_tree is None or fix_tree is None:
        return []
    trees = [tree for tree in map(parse_cell, earlier) if tree is not None]
    earlier_defined = set().union(*map(_defined_in, trees)) if trees else set()
    data = earlier_defined - set().union(*map(_imported_in, trees)) if trees else set()
    read_only = (_used_in(original_tree) - _defined_in(original_tree)) & earlier_defined
    made: set[str] = set()
    for node in ast.walk(fix_tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None and not _used_in(node.value) & data:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            made |= {
                n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }
            made |= {base for t in targets if (base := _written_into(t, data))}
    return sorted(read_only & made)


def _written_into(target: ast.expr, data: set[str]) -> str | None:
    """The name an item assignment at a fixed place puts new data in: ``df`` of ``df['score'] = 0``. Writing where
    the data says (``readings[readings < 0] = np.nan``) cleans it; setting an attribute (``df.columns = [...]``)
    relabels or configures: neither counts."""
    if not isinstance(target, ast.Subscript) or _used_in(target.slice) & data:
        return None
    while isinstance(target, ast.Subscript | ast.Attribute):
        target = target.value
    return target.id if isinstance(target, ast.Name) else None


_REPEATS_WORK = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Delete, ast.Expr)
"""Statements that redo an earlier cell's work when pasted again (a repeated ``xs.append(1)`` appends twice)."""


def without_pasted(fix: str, original: str, earlier: Sequence[str]) -> str:
    """``fix`` without the statements it copied verbatim from the earlier cells (``values = [1, 4, 9]`` again):
    those cells have run, and running their work again resets or repeats it. Imports and definitions stay; so does
    anything the failing cell itself contains."""
    fix_tree = parse_cell(fix)
    if fix_tree is None or _lines_moved(fix):
        return fix  # lines moved by a transform (a cell magic): leave it as it is
    known = {ast.dump(s) for tree in map(parse_cell, earlier) if tree is not None for s in tree.body}
    own = parse_cell(original)
    kept_by_cell = {ast.dump(s) for s in own.body} if own is not None else set()
    pasted = [
        s
        for s in fix_tree.body
        if isinstance(s, _REPEATS_WORK) and ast.dump(s) in known and ast.dump(s) not in kept_by_cell
    ]
    if not pasted or len(pasted) == len(fix_tree.body):
        return fix
    lines = fix.split("\n")
    for statement in reversed(pasted):
        del lines[statement.lineno - 1 : (statement.end_lineno or statement.lineno)]
    return "\n".join(lines).strip("\n")


def added_statements(original: str, fix: str) -> list[ast.stmt]:
    """The statements a fix may have added to the cell: none unless it has more statements than the cell (imports
    aside: they add no work); then those that are not the cell's own, and not a changed version of one — the only
    statement doing what one of the cell's statements did (setting ``df['x']``, calling ``plt.plot``) is its change,
    whatever else differs. ``x = json.dumps(c)`` then ``x = json.loads(x)`` for ``x = json.load(c)``: either may be
    the added one. Only statements alone on their lines, in code whose lines IPython's transforms keep in place, so
    that :func:`without_statement` can drop them."""
    original_tree, fix_tree = parse_cell(original), parse_cell(fix)
    if original_tree is None or fix_tree is None or _lines_moved(fix):
        return []
    own = [s for s in original_tree.body if not isinstance(s, ast.Import | ast.ImportFrom)]
    body = [s for s in fix_tree.body if not isinstance(s, ast.Import | ast.ImportFrom)]
    if len(body) <= len(own):
        return []
    own_statements, own_doings = {ast.dump(s) for s in own}, {_doing(s) for s in own}
    doings = [_doing(s) for s in body]
    return [
        statement
        for statement, doing in zip(body, doings, strict=True)
        if ast.dump(statement) not in own_statements
        and (doing not in own_doings or doings.count(doing) > 1)
        and all(t is statement or _end(t) < statement.lineno or t.lineno > _end(statement) for t in fix_tree.body)
    ]


def _doing(statement: ast.stmt) -> str:
    """What a statement does, to pair a fix's statements with the cell's: what it assigns to (``df['x']``), the
    call it makes (``plt.plot``), the name it defines, or its kind (``for``)."""
    if isinstance(statement, ast.Assign):
        return " = ".join(map(ast.unparse, statement.targets))
    if isinstance(statement, ast.AugAssign | ast.AnnAssign):
        return ast.unparse(statement.target)
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        return _call_name(statement.value) + "()"
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return statement.name
    return type(statement).__name__


def _end(statement: ast.stmt) -> int:
    return statement.end_lineno or statement.lineno


def without_statement(fix: str, statement: ast.stmt, original: str = "") -> str:
    """``fix`` without the lines of one of its top-level ``statement`` s (see :func:`added_statements`), its
    decorators and the comment lines right above it that are not the ``original`` cell's."""
    first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))]) - 1
    lines = fix.split("\n")
    own = {line.strip() for line in original.split("\n")}
    while first > 0 and lines[first - 1].lstrip().startswith("#") and lines[first - 1].strip() not in own:
        first -= 1
    del lines[first : _end(statement)]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _lines_moved(source: str) -> bool:
    """Whether IPython's transforms move the cell's lines (a cell magic's body): line numbers are then not its own."""
    return python_source(source).rstrip("\n").count("\n") != source.rstrip("\n").count("\n")


def with_own_imports(fix: str, original: str, earlier_defined: set[str]) -> str:
    """``fix`` with the cell's own imports put back where it uses a module only they import (``np`` after a fix
    that kept ``np.float64(x)`` but dropped ``import numpy as np``): the failed run left the module in this kernel,
    a restart would not."""
    original_tree = parse_cell(original)
    stale = set(stale_names(original, fix, earlier_defined))
    if original_tree is None or not stale:
        return fix
    source = python_source(original)
    imports = [
        ast.get_source_segment(source, statement) or ""
        for statement in original_tree.body
        if isinstance(statement, ast.Import | ast.ImportFrom) and _imported_in(statement) & stale
    ]
    return "\n".join([*imports, fix]) if imports else fix


def _imported_in(tree: ast.AST) -> set[str]:
    return {
        (alias.asname or alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }


def stale_names(original: str, fix: str, earlier_defined: set[str]) -> list[str]:
    """Names the fix uses but binds nowhere that only the failed original bound (``np`` from the original's
    ``import numpy as np``, which ran before its error): the fix passes in this kernel, and fails after a restart."""
    fix_tree = parse_cell(fix)
    if fix_tree is None:
        return []
    leftover = defined_names(original) - _defined_in(fix_tree) - earlier_defined - _BUILTINS
    return sorted(_used_in(fix_tree) & leftover)


def shadowed_builtins(earlier: Sequence[str], source: str) -> list[str]:
    """Built-in names ``source`` uses that an earlier cell rebinds (``list = [...]``): a classic notebook trap."""
    rebound = set().union(*(defined_names(cell) for cell in earlier)) if earlier else set()
    return sorted(used_names(source) & rebound & _BUILTINS)


def changed_names(source: str) -> set[str]:
    """Names a cell's top-level statements define, change or delete: ``x = …``, ``x.attr = …``, ``x[k] = …``,
    ``x += …``, ``def x``, ``class x``, ``del x`` (not imports, nor names bound inside loops or comprehensions)."""
    tree = parse_cell(source)
    if tree is None:
        return set()
    names: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign | ast.Delete):
            names.update(*(_target_names(target) for target in statement.targets))
        elif isinstance(statement, ast.AugAssign | ast.AnnAssign):
            names |= _target_names(statement.target)
    return names


def _target_names(target: ast.expr) -> set[str]:
    if isinstance(target, ast.Tuple | ast.List):
        return set().union(*(_target_names(element) for element in target.elts))
    while isinstance(target, ast.Attribute | ast.Subscript | ast.Starred):
        target = target.value
    return {target.id} if isinstance(target, ast.Name) else set()


def cause_cell(earlier: Sequence[str], original: str, fix: str) -> tuple[int, list[str]] | None:
    """Where a failure's cause probably lay, judged from its fix: the latest of the ``earlier`` cells that defines
    names the fix changes and the failing cell did not (``def normalize`` again, ``df.columns = …``, ``del list``),
    with those names; None when the fix only changed the failing cell's own work."""
    names = changed_names(fix) - changed_names(original) - defined_names(original)
    for index in range(len(earlier) - 1, -1, -1):
        if found := names & defined_names(earlier[index]):
            return index, sorted(found)
    return None
