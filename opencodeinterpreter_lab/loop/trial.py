"""Try a fix before proposing it: run it in a forked copy of the user's kernel (:mod:`.kernel_copy`).

The panel proposes fixes in the user's live kernel, where a try would change the user's state. A copy of the kernel
process has the same variables, imports and data, and nothing it does reaches the notebook: the fixer can run several
candidates there and propose only one that passed. The copy is made by one silent request, like the kernel's other
reads; where it cannot be made (see :mod:`.kernel_copy`), the answer says why and the fixer proposes untried.
"""

from __future__ import annotations

import ast
import json

from .cells import defined_names
from .execution import READ_CHARS, ExecutionResult, KernelReader, describe_expression, kernel_call

TRY_TIMEOUT = 30.0
"""A copy that runs longer is killed and the code proposed untried: a slow cell is not a failing one."""
REPORT_CHARS = READ_CHARS // 2 - 100
"""The copy's JSON report: within the kernel read's bound once quoted, even if every character is escaped again."""


def trial_expression(code: str, timeout: float = TRY_TIMEOUT) -> str:
    """One expression that runs ``code`` in a copy of the kernel and returns the copy's JSON report, with what the
    names ``code`` binds hold after it."""
    describe = describe_expression(defined_names(code))
    return kernel_call("kernel_copy.py", "try_code", "get_ipython()", code, timeout, REPORT_CHARS, describe)


NO_ANSWER = "the kernel did not answer (busy, gone, or not IPython)"


async def try_in_copy(reader: KernelReader, code: str, timeout: float = TRY_TIMEOUT) -> ExecutionResult | str:
    """What ``code`` does in a copy of the kernel ``reader`` reads (``in_copy`` and ``variables`` set), or why it was
    not tried there (no copy could be made, the copy ran past ``timeout``, the kernel could not answer)."""
    text = await reader.evaluate(trial_expression(code, timeout), timeout + 10)
    try:
        report = json.loads(ast.literal_eval(text)) if text else None
    except (ValueError, SyntaxError, TypeError):  # cut short, or not our report
        report = None
    if not isinstance(report, dict):
        return NO_ANSWER
    if report.get("status") not in ("ok", "error"):
        return str(report.get("message") or NO_ANSWER)
    outputs = [o for o in report.get("outputs", []) if isinstance(o, dict)]
    variables = str(report.get("variables") or "")
    return ExecutionResult(report["status"], outputs, in_copy=True, variables=variables)
