"""What a Python cell reads and binds, and which earlier cells matter to it.

Static analysis with ``ast`` (and a regex fallback for code that does not parse), shared by the fixer's context
selection, its check for fixes that only hide an error, and the error hints.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import re
from collections.abc import Sequence

CONTEXT_CHARS = 1500

_BUILTINS = frozenset(dir(builtins))
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def used_names(source: str) -> set[str]:
    """Names a cell reads, built-ins and ``x += …`` targets included (a regex fallback for code that does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(_IDENTIFIER.findall(source))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return names | {
        n.target.id for n in ast.walk(tree) if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)
    }


def defined_names(source: str) -> set[str]:
    """Names a cell binds at top level: assignments, functions, classes, imports, loop targets."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(re.findall(r"^(?:def|class)?\s*([A-Za-z_]\w*)\s*[=(:]", source, re.MULTILINE))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


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


def _unconditional_bindings(statements: Sequence[ast.stmt]) -> set[str]:
    """Names bound by statements that always run: not under an if, a try or a loop."""
    names: set[str] = set()
    for statement in statements:
        if isinstance(statement, ast.With | ast.AsyncWith):
            names |= _unconditional_bindings(statement.body)
        elif not isinstance(statement, ast.If | ast.Try | ast.For | ast.AsyncFor | ast.While | ast.Match):
            names |= defined_names(ast.unparse(statement))
    return names


def guarded_names(original: str, fix: str) -> list[str]:
    """Names the original cell always sets that the fix sets only under an if or a try: a fix that hides the error
    (``if match: order_id = ...``) instead of fixing it."""
    try:
        original_tree, fix_tree = ast.parse(original), ast.parse(fix)
    except SyntaxError:
        return []
    always = _unconditional_bindings(fix_tree.body)
    sometimes = defined_names(fix) - always
    return sorted(_unconditional_bindings(original_tree.body) & sometimes)


def dropped_names(original: str, fix: str) -> list[str]:
    """Names the original cell always sets that the fix does not set at all, nor under a close spelling (a typo the
    fix corrects): a fix that drops the cell's work (``orders['id'] = ...`` instead of ``merged = orders.merge(...)``)
    rather than repairing it."""
    try:
        original_tree = ast.parse(original)
        ast.parse(fix)
    except SyntaxError:
        return []
    bound = defined_names(fix)
    missing = _unconditional_bindings(original_tree.body) - bound
    return sorted(name for name in missing if not difflib.get_close_matches(name, bound, n=1, cutoff=0.75))


def shadowed_builtins(earlier: Sequence[str], source: str) -> list[str]:
    """Built-in names ``source`` uses that an earlier cell rebinds (``list = [...]``): a classic notebook trap."""
    rebound = set().union(*(defined_names(cell) for cell in earlier)) if earlier else set()
    return sorted(used_names(source) & rebound & _BUILTINS)


def changed_names(source: str) -> set[str]:
    """Names a cell's top-level statements define, change or delete: ``x = …``, ``x.attr = …``, ``x[k] = …``,
    ``x += …``, ``def x``, ``class x``, ``del x`` (not imports, nor names bound inside loops or comprehensions)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
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
