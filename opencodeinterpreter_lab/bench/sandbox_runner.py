"""Run one solution against its tests inside the sandbox process (see ``sandbox.py``). Standard library only.

Reads a JSON job on stdin: ``program`` (the solution), ``test`` (a module defining ``check(candidate)``),
``entry_point``, ``memory_mb`` and ``cpu_s``. Limits itself first, then runs ``check``'s statements one by one so
that a failure can be described: the failing call, the expected value and the actual one. Prints one result line
after ``MARK``; everything the solution prints is captured and dropped.
"""

import ast
import contextlib
import io
import json
import resource
import sys
from typing import Any

MARK = "@@opencodeinterpreter-result@@"
SHOWN_CHARS = 300


def limit(memory_mb: int, cpu_s: int) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


def error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:SHOWN_CHARS]


def describe_failure(statement: ast.stmt, source: str, namespace: dict[str, Any], error: BaseException) -> str:
    """What a failing test statement checked: input, expected and actual values where it is a plain comparison."""
    text = ast.get_source_segment(source, statement) or ""
    test = statement.test if isinstance(statement, ast.Assert) else None
    if isinstance(test, ast.Compare) and isinstance(test.left, ast.Call) and len(test.comparators) == 1:
        call = ast.get_source_segment(source, test.left)
        try:
            expected = eval(compile(ast.Expression(test.comparators[0]), "<test>", "eval"), namespace)
            actual = eval(compile(ast.Expression(test.left), "<test>", "eval"), namespace)
        except BaseException as e:  # the call itself raises
            return f"Input: {call}\nIt raised {error_text(e)}"
        return f"Input: {call}\nExpected: {shown(expected)}\nGot: {shown(actual)}"
    if isinstance(error, AssertionError):
        return f"Failed: {text[:SHOWN_CHARS]}"
    return f"Failed: {text[:SHOWN_CHARS]}\nIt raised {error_text(error)}"


def run(job: dict[str, Any]) -> dict[str, str]:
    solution: dict[str, Any] = {"__name__": "__solution__"}
    try:
        exec(compile(job["program"], "<solution>", "exec"), solution)
    except MemoryError:
        return {"status": "memory", "detail": "The solution ran out of memory while loading."}
    except BaseException as e:
        return {"status": "failed", "detail": f"The solution does not run: {error_text(e)}"}
    candidate = solution.get(job["entry_point"])
    if not callable(candidate):
        return {"status": "failed", "detail": f"The solution does not define {job['entry_point']}()."}
    tests = dict(solution)  # the tests may use the solution's helpers (HumanEval's do), as in the reference harness
    exec(compile(job["test"], "<test>", "exec"), tests)
    check = next(
        node for node in ast.parse(job["test"]).body if isinstance(node, ast.FunctionDef) and node.name == "check"
    )
    tests[check.args.args[0].arg] = candidate
    for statement in check.body:
        try:
            exec(compile(ast.Module([statement], []), "<test>", "exec"), tests)
        except MemoryError:
            return {"status": "memory", "detail": "The solution ran out of memory."}
        except BaseException as e:
            return {"status": "failed", "detail": describe_failure(statement, job["test"], tests, e)}
    return {"status": "passed", "detail": ""}


def main() -> None:
    job = json.loads(sys.stdin.read())
    limit(job["memory_mb"], job["cpu_s"])
    sys.stdin = io.StringIO("")  # input() reads end of file instead of waiting
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        result = run(job)
    print(MARK + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
