"""A fix made where the cause is: the fix's new definitions moved into the earlier cell that made the mistake.

A fix of a failing cell often repairs an earlier cell's work in place: it defines ``normalize`` again (the old one had
no ``return``) or renames the columns the earlier cell got wrong. The notebook reads better, and the cells between
work too, when that repair is made in the earlier cell itself. :func:`fix_in_cause` splits a passing fix into the
earlier cell's new source (a definition or ``df.columns = …`` replaced where it stood, other repairs appended) and
what is left for the failing cell (its original source when the fix changed nothing else there). Only plain Python
is moved; anything it cannot place with certainty stays a fix of the failing cell.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

from .cells import cause_cell, changed_names, defined_names

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class CauseFix:
    cell: int
    """The index, within the earlier cells, of the cell where the cause lay."""
    names: list[str]
    """The names the fix changes there."""
    cause_source: str
    """That cell with the fix's repairs in place."""
    source: str
    """The failing cell to go with it: its original source when the fix changed nothing else there."""


def fix_in_cause(earlier: Sequence[str], original: str, fix: str) -> CauseFix | None:
    """The fix made in the cell where the cause lay, or None when there is no such cell or it cannot be placed."""
    cause = cause_cell(earlier, original, fix)
    if cause is None:
        return None
    index, names = cause
    try:
        fix_tree, cause_tree = ast.parse(fix), ast.parse(earlier[index])
        original_tree = ast.parse(original)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # IPython syntax: line numbers would not match
        return None
    made_after = set().union(*map(defined_names, earlier[index + 1 :])) - set().union(
        *map(defined_names, earlier[: index + 1])
    )
    moved = _repairs(fix_tree, set(names), made_after)
    if not moved:
        return None
    fix_lines = fix.splitlines()
    rest = _without(fix_lines, moved)
    if not rest.strip():
        return None  # the failing cell's own work would be gone
    cause_source = _with_repairs(earlier[index], cause_tree, fix_lines, moved)
    same = _same_code(rest, original_tree)
    return CauseFix(index, names, cause_source, original if same else rest)


def _repairs(tree: ast.Module, names: set[str], made_after: set[str]) -> list[ast.stmt]:
    """The fix's top-level statements that only repair ``names``, and use neither what the fix's other statements
    made before them (that work belongs to the failing cell) nor what only cells after the cause cell make."""
    repairs: list[ast.stmt] = []
    made_here = set(made_after)
    for statement in tree.body:
        if isinstance(statement, Definition):
            repairs_names = statement.name in names
        else:
            changes = changed_names(ast.unparse(statement))
            repairs_names = (
                isinstance(statement, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete)
                and bool(changes)
                and changes <= names
                and not (_loaded(statement) & made_here)
            )
        if repairs_names:
            repairs.append(statement)
        else:
            made_here |= _bound(statement)
    return repairs


def _with_repairs(source: str, tree: ast.Module, fix_lines: list[str], repairs: list[ast.stmt]) -> str:
    """``source`` with each repaired definition replaced where it stood, and the other repairs appended."""
    lines = source.splitlines()
    replaceable = {key: s for s in tree.body if (key := _replaces(s))}  # the last of each, as the kernel ends up
    replacements: list[tuple[int, int, list[str]]] = []
    appended: list[str] = []
    for repair in repairs:
        text = fix_lines[_first_line(repair) - 1 : repair.end_lineno]
        old = replaceable.get(_replaces(repair))
        if old is not None:
            replacements.append((_first_line(old) - 1, old.end_lineno or old.lineno, text))
        else:
            appended += text
    for start, end, text in sorted(replacements, reverse=True):
        lines[start:end] = text
    return "\n".join(lines + appended)


def _replaces(statement: ast.stmt) -> str:
    """What a repair of this statement replaces rather than follows: a definition (``def normalize``), or the setting
    of an attribute or item (``df.columns = …``); "" for the rest (``df = …`` follows the cell's own ``df = …``)."""
    if isinstance(statement, Definition):
        return f"def {statement.name}"
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        if isinstance(target, ast.Attribute | ast.Subscript):
            return ast.unparse(target)
    return ""


def _without(lines: list[str], statements: list[ast.stmt]) -> str:
    drop = {n for s in statements for n in range(_first_line(s) - 1, s.end_lineno or s.lineno)}
    return "\n".join(line for n, line in enumerate(lines) if n not in drop).strip("\n")


def _same_code(source: str, tree: ast.Module) -> bool:
    try:
        return ast.dump(ast.parse(source)) == ast.dump(tree)
    except SyntaxError:
        return False


def _first_line(statement: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(statement, "decorator_list", [])
    return min([statement.lineno, *(d.lineno for d in decorators)])


def _loaded(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _bound(node: ast.AST) -> set[str]:
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    if isinstance(node, Definition):
        names.add(node.name)
    return names
