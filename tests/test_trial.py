"""Trying fixes in a forked copy of a real kernel: nothing reaches the kernel, its clients or its namespace."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, Literal

import pytest
from scripted import Outbox, ScriptedEngine

from opencodeinterpreter_lab.loop.core import LoopCallbacks, Round
from opencodeinterpreter_lab.loop.execution import ExecutionResult, KernelExecutor, KernelReader
from opencodeinterpreter_lab.loop.fixer import FixOutcome, FixTask, fix_cell, trimmed_fix
from opencodeinterpreter_lab.loop.trial import NO_ANSWER, REPORT_CHARS, trial_expression, try_in_copy
from opencodeinterpreter_lab.server.session import ChatSession, GenerationDefaults

SETUP = "import math\nvalues = [1, 4, 9]\ncount = 1"
CELL = "roots = [math.sqroot(v) for v in values]\nprint(roots)"
FAILED = ExecutionResult("error", [{"output_type": "error", "ename": "AttributeError", "evalue": "", "traceback": []}])


async def _stray_outputs(kernel: KernelExecutor) -> list[str]:
    """Text of what the kernel published since the last run ended (nothing, when the copy kept to itself)."""
    seen = []
    with contextlib.suppress(Exception):  # queue.Empty: drained
        while True:
            message = await kernel._client.get_iopub_msg(timeout=0.5)
            if message["msg_type"] in ("stream", "display_data", "execute_result", "error"):
                seen.append(str(message["content"]))
    return seen


async def test_code_runs_in_a_copy_and_the_kernel_keeps_its_state() -> None:
    async with KernelExecutor(timeout=30) as kernel:
        assert (await kernel.execute(SETUP)).ok
        code = "count += 41\nvalues.append(16)\nprint('in the copy', count)\ndisplay('shown')\nvalues"
        tried = await try_in_copy(kernel, code)
        assert isinstance(tried, ExecutionResult) and tried.ok and tried.in_copy
        assert all(text in tried.summary() for text in ("in the copy 42", "'shown'", "[1, 4, 9, 16]"))
        assert tried.variables == "count: int = 42", "what the names it binds hold there"
        assert await _stray_outputs(kernel) == [], "the copy's outputs reach no client of the kernel"
        unchanged = await kernel.execute("print(count, values, 'roots' in dir())")
        assert unchanged.outputs[0]["text"] == "1 [1, 4, 9] False\n"


async def test_a_failure_in_the_copy_reads_like_the_kernels_own() -> None:
    async with KernelExecutor(timeout=30) as kernel:
        assert (await kernel.execute(SETUP)).ok
        real = await kernel.execute(CELL)
        tried = await try_in_copy(kernel, CELL)
        assert (
            isinstance(tried, ExecutionResult)
            and tried.status == "error"
            and tried.error is not None
            and real.error is not None
        )
        assert (tried.error.ename, tried.error.evalue) == (real.error.ename, real.error.evalue)
        assert "----> 1 roots = [math.sqroot(v) for v in values]" in tried.summary()
        assert await _stray_outputs(kernel) == []
        magic = await try_in_copy(kernel, "%time total = sum(values)\ntotal")
        assert isinstance(magic, ExecutionResult) and magic.ok and "14" in magic.summary(), (
            "IPython syntax runs as in the kernel"
        )
        plot = await try_in_copy(kernel, "import matplotlib.pyplot as plt\nplt.plot(values)\nplt.show()")
        assert isinstance(plot, ExecutionResult) and plot.ok and "[image/png output]" in plot.summary()


async def test_what_cannot_be_tried_is_left_untried_and_the_kernel_goes_on() -> None:
    async with KernelExecutor(timeout=30) as kernel:
        slow = await try_in_copy(kernel, "import time\ntime.sleep(60)", timeout=2)
        assert slow == "the copy ran longer than 2 s", "killed, not failed"
        assert await try_in_copy(kernel, "name = input('Your name? ')") == "the cell asks for input"
        assert await try_in_copy(kernel, "import os\nos._exit(3)") == "the copy died"
        big = await try_in_copy(kernel, "print('é' * 100_000)\nfor i in range(100): display(i)")
        assert isinstance(big, ExecutionResult) and big.ok and len(big.summary()) < REPORT_CHARS, "bounded, not dropped"
        odd = await try_in_copy(kernel, "class Odd:\n    def __len__(self):\n        raise ValueError\nodd = Odd()")
        assert isinstance(odd, ExecutionResult) and odd.ok and odd.variables == "", "what cannot be described: left out"
        children = await kernel.execute(
            "import os\ntry:\n    os.waitpid(-1, os.WNOHANG)\nexcept ChildProcessError:\n    print('none')"
        )
        assert children.outputs[0]["text"] == "none\n", "every copy was reaped"
        await kernel.execute("import sys, types\nsys.modules['torch'] = types.ModuleType('torch')")
        gpu = await try_in_copy(kernel, "x = 1")
        assert gpu == "torch is loaded: its device state does not survive a copy"


class CountingKernel:
    """The user's live kernel as the panel's loop sees it: counts the proposals that ran in it."""

    def __init__(self, kernel: KernelExecutor) -> None:
        self.kernel = kernel
        self.ran: list[str] = []

    async def execute(self, code: str) -> ExecutionResult:
        self.ran.append(code)
        return await self.kernel.execute(code)


WRONG = "Use the root.\n```python\nroots = [math.root(v) for v in values]\nprint(roots)\n```"
ALSO_WRONG = "Use isqrt.\n```python\nroots = [math.isqrt(v) for v in vals]\nprint(roots)\n```"
FIXED = "Use sqrt.\n```python\nroots = [math.sqrt(v) for v in values]\nprint(roots)\n```"


async def _fix_as_the_panel(
    engine: Any,
    rounds: int,
    candidates: int,
    callbacks: LoopCallbacks | None = None,
    reader: KernelReader | Literal["the kernel"] | None = "the kernel",
) -> tuple[FixOutcome, list[str]]:
    """Fix CELL after SETUP as the panel does (candidates in copies of the kernel): the outcome, and the code that
    ran in the kernel itself."""
    async with KernelExecutor(timeout=30) as kernel:
        assert (await kernel.execute(SETUP)).ok
        failure = await kernel.execute(CELL)
        live = CountingKernel(kernel)
        task = FixTask(CELL, failure, [SETUP])
        read = kernel if reader == "the kernel" else reader
        outcome = await fix_cell(
            engine, live, task, rounds, callbacks, reader=read, candidates=candidates, in_copy=True
        )
    return outcome, live.ran


async def test_the_panel_proposes_only_a_candidate_that_passed_in_a_copy() -> None:
    notes: list[str] = []
    proposed: list[Round] = []
    callbacks = LoopCallbacks(on_token=lambda number, text: notes.append(text), on_proposal=proposed.append)
    outcome, ran = await _fix_as_the_panel(ScriptedEngine(WRONG, ALSO_WRONG, FIXED), 1, 3, callbacks)
    assert outcome.status == "fixed" and "math.sqrt(v)" in outcome.source
    assert ran == [outcome.source], "the failing candidates never ran in the user's kernel"
    assert [r.candidate for r in proposed] == [3]
    assert [r.result.in_copy for r in outcome.rounds if r.result] == [True, True, False]
    assert [r.tried is not None and r.tried.ok for r in outcome.rounds] == [False, False, True]
    assert "*Not proposed: it raised AttributeError in a copy of the kernel.*" in "".join(notes)
    assert "*Not proposed: it raised NameError in a copy of the kernel.*" in "".join(notes)
    assert "*Passed in a copy of the kernel.*" in "".join(notes)


async def test_when_no_candidate_passes_in_a_copy_the_kernel_is_never_touched() -> None:
    engine: Any = ScriptedEngine(WRONG, ALSO_WRONG)
    outcome, ran = await _fix_as_the_panel(engine, 2, 2)
    assert outcome.status != "fixed" and outcome.source == CELL
    assert ran == []
    assert "vals" in engine.prompts[2][-1]["content"], "the next round refines the last candidate's failure"


class SharedKernel:
    """The server's reader on the notebook's kernel (``LiveKernelReader``), here on a kernel of the test's own."""

    def __init__(self, kernel: KernelExecutor) -> None:
        self.evaluate = kernel.evaluate

    def close(self) -> None:
        pass


async def test_the_panel_asks_for_candidates_and_gets_one_proposal_that_passed_in_a_copy() -> None:
    sent = Outbox()
    engine: Any = ScriptedEngine(WRONG, FIXED)
    async with KernelExecutor(timeout=30) as kernel:
        assert (await kernel.execute(SETUP)).ok
        failure = await kernel.execute(CELL)
        defaults = GenerationDefaults(fix_candidates=1)  # the request's own number wins
        shared: Any = SharedKernel(kernel)
        session = ChatSession(engine, defaults, sent, kernels=lambda kernel_id: shared)
        cell = {"source": CELL, "outputs": failure.outputs}
        request = {"type": "fix", "id": "f", "cell": cell, "context": [SETUP], "kernel_id": "k", "candidates": 2}
        session.handle(json.dumps(request))
        proposal = await sent.wait_for("proposal")
        assert proposal["round"] == 1 and "math.sqrt(v)" in proposal["code"]
        assert proposal["tried"] and proposal["preview"] == "[1.0, 2.0, 3.0]\nroots: list len=3 = [1.0, 2.0, 3.0]"
        ran = await kernel.execute(proposal["code"])
        result = {"type": "execution_result", "id": "f", "round": 1, "status": ran.status, "outputs": ran.outputs}
        session.handle(json.dumps(result))
        done = await sent.wait_for("done")
    assert done["outcome"]["status"] == "fixed"
    assert [m["round"] for m in sent if m["type"] == "proposal"] == [1]
    text = "".join(m["text"] for m in sent if m["type"] == "token")
    assert "Not proposed: it raised AttributeError in a copy of the kernel" in text


class NoCopies:
    """A kernel that cannot be copied (not IPython, no fork): every read answers nothing."""

    async def evaluate(self, expression: str, timeout: float = 5.0) -> str | None:
        await asyncio.sleep(0)
        return None


@pytest.mark.parametrize("reader", [NoCopies(), None], ids=["no copy can be made", "the kernel cannot be read"])
async def test_without_a_copy_the_panel_proposes_one_untried_fix_per_round(reader: Any) -> None:
    notes: list[str] = []
    callbacks = LoopCallbacks(on_token=lambda number, text: notes.append(text))
    outcome, ran = await _fix_as_the_panel(ScriptedEngine(WRONG, FIXED), 2, 3, callbacks, reader)
    assert outcome.status == "fixed"
    assert [(r.number, r.candidate) for r in outcome.rounds] == [(1, 1), (2, 1)], "one candidate per round"
    assert len(ran) == 2
    untried = [note for note in notes if "Not tried in a copy" in note]
    assert untried == (["\n\n*Not tried in a copy of the kernel: " + NO_ANSWER + ".*\n\n"] if reader else [])


async def test_one_candidate_per_round_is_proposed_untried() -> None:
    outcome, ran = await _fix_as_the_panel(ScriptedEngine(WRONG, FIXED), 2, 1)
    assert outcome.status == "fixed"
    assert len(ran) == 2 and all(r.tried is None for r in outcome.rounds), "as the setting says: untried"


ADDS_WORK = (
    "Use sqrt.\n```python\nroots = [math.sqrt(v) for v in values]\n# rounded\nroots = [round(r) for r in roots]\n"
    "print(roots)\n```"
)
NEEDS_ITS_LINE = "Use sqrt.\n```python\nsqrt = math.sqrt\nroots = [sqrt(v) for v in values]\nprint(roots)\n```"


async def test_a_fix_is_proposed_without_what_it_added_and_passes_without() -> None:
    notes: list[str] = []
    callbacks = LoopCallbacks(on_token=lambda number, text: notes.append(text))
    outcome, ran = await _fix_as_the_panel(ScriptedEngine(ADDS_WORK), 1, 3, callbacks)
    assert outcome.status == "fixed"
    assert outcome.source == "roots = [math.sqrt(v) for v in values]\nprint(roots)", "work the cell never asked for"
    assert ran == [outcome.source], "only the shorter fix ran in the user's kernel"
    assert "*It also passes without `roots = [round(r) for r in roots]`: proposed without.*" in "".join(notes)

    outcome, ran = await _fix_as_the_panel(ScriptedEngine(NEEDS_ITS_LINE), 1, 3)
    assert outcome.source == "sqrt = math.sqrt\nroots = [sqrt(v) for v in values]\nprint(roots)", "it needs its line"


async def test_a_slow_fix_is_proposed_as_written() -> None:
    task = FixTask(CELL, FAILED, [SETUP])
    tries: list[str] = []

    async def trial(code: str) -> ExecutionResult:
        tries.append(code)
        return ExecutionResult("ok", [])

    async def judge(code: str, result: ExecutionResult) -> None:
        return None

    code = "roots = [math.sqrt(v) for v in values]\nroots = [round(r) for r in roots]\nprint(roots)"
    ran = ExecutionResult("ok", [], in_copy=True)
    assert await trimmed_fix(task, trial, judge, code, ran, seconds=0) == (code, ran) and tries == []
    trimmed, _ = await trimmed_fix(task, trial, judge, code, ran)
    assert trimmed == "roots = [math.sqrt(v) for v in values]\nprint(roots)"


SPOILS = "Make room first.\n```python\nvalues.append(16)\nroots = [math.root(v) for v in values]\nprint(roots)\n```"


@pytest.mark.parametrize("copies", [True, False], ids=["in copies", "no copy can be made"])
async def test_the_headless_fixer_tries_candidates_in_copies_else_in_its_own_kernel(copies: bool) -> None:
    async with KernelExecutor(timeout=30) as kernel:
        assert (await kernel.execute(SETUP)).ok
        failure = await kernel.execute(CELL)
        own = CountingKernel(kernel)
        task = FixTask(CELL, failure, [SETUP])
        reader = kernel if copies else NoCopies()
        engine: Any = ScriptedEngine(SPOILS, FIXED)
        outcome = await fix_cell(engine, own, task, 1, reader=reader, candidates=2, in_copy=True, own_kernel=True)
        values = await kernel.evaluate("values")
    assert outcome.status == "fixed" and [(r.number, r.candidate) for r in outcome.rounds] == [(1, 1), (1, 2)]
    if copies:  # the failed candidate changed only its copy: the passing one starts from the same state
        assert own.ran == [outcome.source] and values == "[1, 4, 9]"
    else:  # both candidates ran in the fixer's own kernel, the first one's append included
        assert len(own.ran) == 2 and values == "[1, 4, 9, 16]"


def test_the_trial_expression_carries_the_code_as_a_literal() -> None:
    code = "print('\"\\'')  # quotes and backslashes\n"
    assert repr(code) in trial_expression(code)
