"""Runs *inside the user's kernel* (standard library only): what the objects a failing line uses really are.

:mod:`.kernel_facts` sends this file's source in one silent request and executes it in a namespace of its own, so
nothing is added to the user's namespace. Every lookup is static (``inspect.getattr_static``): no property, no
``__getattr__`` and no user function runs; only ``dir()``, signatures and docstrings are read, each answer bounded.
"""

from __future__ import annotations

import builtins
import difflib
import inspect
import sys
from typing import Any

DOC_CHARS = 160
_NOTHING = object()


def _resolve(namespace: dict[str, Any], path: str) -> Any:
    """The object at a dotted path (``df.pivot``, ``np.float``), looked up statically; ``_NOTHING`` when a step is
    missing or would run code (a property)."""
    head, *rest = path.split(".")
    value = namespace.get(head, getattr(builtins, head, _NOTHING))
    for part in rest:
        if value is _NOTHING:
            break
        try:
            value = inspect.getattr_static(value, part)
        except AttributeError:
            return _NOTHING
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        elif isinstance(value, property):
            return _NOTHING
    return value


def _version(value: Any) -> str:
    module = sys.modules.get((getattr(value, "__module__", None) or "").split(".")[0])
    version = getattr(module, "__version__", None) if module is not None else None
    return f"{module.__name__} {version}" if module is not None and isinstance(version, str) else ""


def _first_sentence(value: Any) -> str:
    doc = inspect.getdoc(value) or ""
    first = doc.strip().split("\n\n")[0].replace("\n", " ")
    sentence = first.split(". ")[0].rstrip(".")
    return sentence[:DOC_CHARS]


def describe_call(namespace: dict[str, Any], path: str) -> str:
    """``pandas 3.0.1: DataFrame.pivot(self, *, columns, index=..., values=...): Return reshaped DataFrame …``, or
    what the name holds instead of a function (``list is a list, not a function: it hides the built-in list``)."""
    value = _resolve(namespace, path)
    if value is _NOTHING:
        return ""
    if not callable(value):
        hides = path in namespace and hasattr(builtins, path)
        return f"{path} is a {type(value).__name__}, not a function" + (
            f": it hides the built-in {path}" if hides else ""
        )
    try:
        signature = str(inspect.signature(value))
    except (TypeError, ValueError):
        signature = "(…)"
    signature = signature if len(signature) <= 240 else signature[:240] + "…)"
    name = getattr(value, "__qualname__", None) or path
    version = _version(value)
    sentence = _first_sentence(value)
    return (f"{version}: " if version else "") + f"{name}{signature}" + (f": {sentence}" if sentence else "")


def describe_missing(namespace: dict[str, Any], path: str, missing: str) -> str:
    """What exists instead of a missing attribute: close names in ``dir()`` of the object at ``path`` (its type for
    instances), and accessors (``.str``, ``.dt``) that have the name."""
    value = _resolve(namespace, path)
    if value is _NOTHING:
        return ""
    owner = value if inspect.ismodule(value) or inspect.isclass(value) else type(value)
    try:
        names = [n for n in dir(owner) if not n.startswith("_")]
    except Exception:
        return ""
    found = []
    for name in names:
        try:
            attribute = inspect.getattr_static(owner, name)
        except AttributeError:
            continue
        accessor = getattr(attribute, "_accessor", None)  # pandas' CachedAccessor: .str, .dt, .cat, …
        if inspect.isclass(accessor) and hasattr(accessor, missing):
            found.append(f".{name}.{missing}")
    close = difflib.get_close_matches(missing, names, n=4, cutoff=0.6)
    label = getattr(owner, "__name__", path)
    parts = []
    if found:
        parts.append(f"{label} has {', '.join(found[:3])}")
    if close:
        parts.append(f"{label} names close to {missing!r}: {', '.join(close)}")
    if not parts:
        parts.append(f"{label} has no {missing!r} nor a close name")
    return "; ".join(parts)


def probe(namespace: dict[str, Any], calls: list[str], missing: tuple[str, str] | None, max_chars: int) -> str:
    """Lines for the fix prompt: the calls' signatures, and what exists instead of ``missing`` (path, name)."""
    lines = []
    if missing:
        lines.append(describe_missing(namespace, *missing))
    for path in calls:
        lines.append(describe_call(namespace, path))
    text = "\n".join(line for line in lines if line)
    return text[:max_chars]
