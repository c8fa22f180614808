"""The fix loop: real model, real kernels, the headless CLI and the WebSocket protocol the panel uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from scripted import Outbox, ScriptedEngine

from opencodeinterpreter_lab import cli
from opencodeinterpreter_lab.bench.fix_cases import FIX_CASES
from opencodeinterpreter_lab.bench.fix_cases_held_out import HELD_OUT_CASES
from opencodeinterpreter_lab.engine.llama import LlamaEngine
from opencodeinterpreter_lab.loop.causefix import fix_in_cause
from opencodeinterpreter_lab.loop.cells import (
    cause_cell,
    dropped_names,
    guarded_names,
    relevant_cells,
    shadowed_builtins,
)
from opencodeinterpreter_lab.loop.core import LoopCallbacks
from opencodeinterpreter_lab.loop.execution import ExecutionResult, KernelExecutor
from opencodeinterpreter_lab.loop.fixer import (
    RETRY_TEMPERATURE,
    UNCHANGED_OBJECTION,
    FixAids,
    FixTask,
    build_fix_prompt,
    fix_cell,
    fix_objection,
)
from opencodeinterpreter_lab.server.session import ChatSession, GenerationDefaults

SQRT_SETUP = ["import math\nvalues = [1, 4, 9]"]
SQRT_CELL = "roots = [math.sqroot(v) for v in values]\nprint(roots)"


async def test_a_failing_cell_is_fixed_and_passes_in_a_real_kernel(engine: LlamaEngine) -> None:
    async with KernelExecutor(timeout=30) as kernel:
        for cell in SQRT_SETUP:
            assert (await kernel.execute(cell)).ok
        failure = await kernel.execute(SQRT_CELL)
        assert failure.status == "error"
        # As the panel does it: candidates tried in a copy of the kernel, the one that passed there run in it.
        task = FixTask(SQRT_CELL, failure, SQRT_SETUP)
        outcome = await fix_cell(engine, kernel, task, reader=kernel, candidates=3, in_copy=True)
        assert outcome.status == "fixed", outcome
        assert "math.sqrt" in outcome.source
        passed = outcome.rounds[-1]
        assert passed.tried is not None and passed.tried.ok, "it passed in a copy before it ran in the kernel"
        assert outcome.rounds[-1].result is not None
        assert "[1.0, 2.0, 3.0]" in outcome.rounds[-1].result.summary()
        assert (await kernel.execute("assert roots == [1.0, 2.0, 3.0]")).ok


class FailFirstRun:
    """A real kernel whose first run is reported as failing: forces a second round of the real model."""

    def __init__(self, kernel: KernelExecutor) -> None:
        self.kernel = kernel
        self.codes: list[str] = []

    async def execute(self, code: str) -> ExecutionResult:
        self.codes.append(code)
        if len(self.codes) == 1:
            error = {"output_type": "error", "ename": "ValueError", "evalue": "roots must be rounded to ints",
                     "traceback": ["ValueError: roots must be rounded to ints"]}  # fmt: skip
            return ExecutionResult("error", [error])
        return await self.kernel.execute(code)


async def test_a_failed_round_feeds_its_error_back_and_the_loop_refines(engine: LlamaEngine) -> None:
    async with KernelExecutor(timeout=30) as kernel:
        await kernel.execute(SQRT_SETUP[0])
        failure = await kernel.execute(SQRT_CELL)
        executor = FailFirstRun(kernel)
        outcome = await fix_cell(engine, executor, FixTask(SQRT_CELL, failure, SQRT_SETUP), max_rounds=3)
        assert len(outcome.rounds) >= 2
        assert outcome.status == "fixed", outcome
        assert len(executor.codes) == len(outcome.rounds)


class NeverRuns:
    async def execute(self, code: str) -> ExecutionResult:
        raise AssertionError("nothing should run")


FAILED = ExecutionResult("error", [{"output_type": "error", "ename": "E", "evalue": "", "traceback": []}])


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ("I am not sure what is wrong.", "no_code"),
        (f"Looks fine.\n```python\n{SQRT_CELL}\n```", "unchanged"),
    ],
)
async def test_answers_without_a_usable_fix_end_the_loop(answer: str, status: str) -> None:
    engine: Any = ScriptedEngine(answer)
    outcome = await fix_cell(engine, NeverRuns(), FixTask(SQRT_CELL, FAILED), max_rounds=3)
    assert outcome.status == status
    assert len(outcome.rounds) == 3, "the model is told what was wrong and asked again, without running anything"
    assert outcome.source == SQRT_CELL, "the original source is kept"
    assert outcome.message


async def test_a_huge_cell_is_refused_before_any_generation() -> None:
    engine: Any = ScriptedEngine()
    outcome = await fix_cell(engine, NeverRuns(), FixTask("x = 1\n" * 5000, FAILED))
    assert outcome.status == "failed"
    assert "too long" in outcome.message


async def test_a_kernel_that_dies_is_reported_and_replaced() -> None:
    async with KernelExecutor(timeout=30) as kernel:
        died = await kernel.execute("import os; os._exit(1)")
        assert died.status == "dead"
        assert "died" in died.summary()
        assert (await kernel.execute("print('back')")).summary() == "back"


async def test_a_cell_that_runs_too_long_is_interrupted() -> None:
    async with KernelExecutor(timeout=2) as kernel:
        slow = await kernel.execute("import time\nwhile True: time.sleep(0.1)")
        assert slow.status == "timeout"
        assert (await kernel.execute("print('next')")).ok


def test_relevant_cells_are_those_defining_the_names_used() -> None:
    earlier = ["import pandas as pd", "x = 1", "df = pd.DataFrame({'a': [1]})", "def helper():\n    return 2"]
    assert relevant_cells(earlier, "print(df['b'].sum() + helper())") == [earlier[2], earlier[3]]
    assert relevant_cells(earlier, "print(x") == [earlier[1]], "a cell that does not parse still finds its names"
    assert relevant_cells(earlier, "print(1)") == []


# ---- the headless CLI -------------------------------------------------------------------------------------------


def write_notebook(path: Path, *sources: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(notebook, path)


@pytest.mark.model  # the command loads the real model itself
def test_cli_fixes_a_notebook_and_writes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "analysis.ipynb"
    write_notebook(source, SQRT_SETUP[0], SQRT_CELL, "total = sum(roots)\nprint(total)")
    assert cli.main(["fix", str(source)]) == 0
    fixed = nbformat.read(tmp_path / "analysis.fixed.ipynb", as_version=4)
    cell = fixed.cells[1]
    assert "math.sqrt" in cell.source
    assert cell.metadata["opencodeinterpreter"]["original_source"] == SQRT_CELL
    assert "6.0" in fixed.cells[2].outputs[0]["text"]
    assert "2 failed before, 0 fail after (1 fixed, 0 regressions)" in capsys.readouterr().out, "cell 3 was knocked out"
    assert nbformat.read(source, as_version=4).cells[1].source == SQRT_CELL, "the input notebook is untouched"


def test_cli_exits_1_when_a_cell_stays_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "_engine", lambda args: ScriptedEngine("No idea."))
    source = tmp_path / "broken.ipynb"
    write_notebook(source, "1 / 0")
    assert cli.main(["fix", str(source), "--output", str(tmp_path / "out.ipynb")]) == 1
    assert "1 failed before, 1 fail after (0 fixed, 0 regressions)" in capsys.readouterr().out
    assert nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[0].outputs[0]["ename"] == "ZeroDivisionError"


def test_cli_names_the_cell_where_the_cause_lay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "_engine", lambda args: ScriptedEngine(f"Add a return.\n```python\n{NORMALIZE_FIX}\n```"))
    source = tmp_path / "names.ipynb"
    write_notebook(source, NORMALIZE, "raw = [' b', 'a']", "names = sorted(normalize(raw))")
    assert cli.main(["fix", str(source)]) == 0
    assert "fixed where the cause was: cell 1 changed (normalize)" in capsys.readouterr().out
    fixed = nbformat.read(tmp_path / "names.fixed.ipynb", as_version=4)
    assert "return [n.strip().title()" in fixed.cells[0].source, "the repair is made in the cell of the cause"
    assert fixed.cells[0].metadata["opencodeinterpreter"]["original_source"] == NORMALIZE
    assert fixed.cells[2].source == "names = sorted(normalize(raw))", "the failing cell keeps its own source"
    assert "opencodeinterpreter" not in fixed.cells[2].metadata
    assert fixed.cells[2].outputs == [] and fixed.cells[2].execution_count == 3


def test_a_repair_that_breaks_the_cause_cell_in_a_fresh_run_is_withdrawn_from_both_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The new f passes the failing cell, but the cell of the cause also calls it, with a string: fresh, it fails.
    fix = "def f(x):\n    return x * 2 + 1\n\nprint(f(3) + 1)"
    monkeypatch.setattr(cli, "_engine", lambda args: ScriptedEngine(f"Return it.\n```python\n{fix}\n```"))
    source = tmp_path / "f.ipynb"
    cells = ["def f(x):\n    x * 2\n\nprobe = f('a')", "print(f(3) + 1)"]
    write_notebook(source, *cells)
    assert cli.main(["fix", str(source)]) == 1
    out = capsys.readouterr().out
    assert "fixed where the cause was: cell 1 changed (f)" in out
    assert "fix withdrawn, original kept" in out
    fixed = nbformat.read(tmp_path / "f.fixed.ipynb", as_version=4)
    assert [c.source for c in fixed.cells] == cells
    assert all("opencodeinterpreter" not in c.metadata for c in fixed.cells)


@pytest.mark.parametrize(
    ("name", "content"), [("missing.ipynb", None), ("notes.ipynb", "plain text"), ("x.json", "[]")]
)
def test_cli_refuses_bad_paths_and_non_notebooks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str | None
) -> None:
    if content is not None:
        (tmp_path / name).write_text(content)
    assert cli.main(["fix", str(tmp_path / name)]) == 2
    assert "error:" in capsys.readouterr().err


def test_cli_bad_usage_exits_2() -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["fix"])
    assert exit_info.value.code == 2


# ---- over the WebSocket, as the panel drives it ----------------------------------------------------------------


@pytest.mark.usefixtures("shared_engine")
async def test_the_panel_protocol_runs_the_loop_in_the_clients_kernel(connect: Any) -> None:
    client = await connect()
    async with KernelExecutor(timeout=30) as kernel:  # plays the user's live kernel
        await kernel.execute(SQRT_SETUP[0])
        failure = await kernel.execute(SQRT_CELL)
        await client.send(
            {
                "type": "fix",
                "id": "f1",
                "cell": {"source": SQRT_CELL, "outputs": failure.outputs},
                "context": SQRT_SETUP,
            }
        )
        tokens = 0
        while True:
            message = await client.receive()
            if message.get("id") != "f1":
                continue
            if message["type"] == "token":
                tokens += 1
                assert message["round"] >= 1
            elif message["type"] == "proposal":
                assert message["explanation"]
                result = await kernel.execute(message["code"])
                await client.send(
                    {
                        "type": "execution_result",
                        "id": "f1",
                        "round": message["round"],
                        "status": result.status,
                        "outputs": result.outputs,
                    }
                )
            else:
                break
    assert message["type"] == "done", message
    assert message["outcome"]["status"] == "fixed"
    assert "math.sqrt" in message["outcome"]["source"]
    assert tokens > 1
    assert message["usage"]["completion_tokens"] > 0


@pytest.mark.usefixtures("shared_engine")
async def test_a_fix_waiting_for_the_user_can_be_cancelled(connect: Any) -> None:
    client = await connect()
    outputs = [{"output_type": "error", "ename": "NameError", "evalue": "name 'prnt' is not defined",
                "traceback": ["NameError: name 'prnt' is not defined"]}]  # fmt: skip
    await client.send({"type": "fix", "id": "f2", "cell": {"source": "prnt('hi')", "outputs": outputs}})
    while (await client.receive())["type"] != "proposal":
        pass
    await client.send({"type": "cancel", "id": "f2"})
    _, end = await client.receive_until_end("f2")
    assert end["type"] == "done"
    assert end["cancelled"] is True
    await client.send({"type": "execution_result", "id": "f2", "round": 1, "status": "ok", "outputs": []})
    late = await client.receive()
    assert late["type"] == "error"
    assert "No request 'f2'" in late["message"]


async def test_the_client_answers_for_the_proposals_round_even_after_a_round_without_code() -> None:
    """Round 1 brings no code, even when asked again (nothing to run), so the first proposal is round 2; its result
    is awaited as such."""
    sent = Outbox()
    engine: Any = ScriptedEngine(
        "No idea.", "Still none.", "Use sqrt.\n```python\nroots = [math.sqrt(v) for v in values]\nprint(roots)\n```"
    )
    session = ChatSession(engine, GenerationDefaults(), sent)
    session.handle(json.dumps({"type": "fix", "id": "f", "cell": {"source": SQRT_CELL, "outputs": FAILED.outputs}}))
    proposal = await sent.wait_for("proposal")
    assert proposal["round"] == 2
    printed = [{"output_type": "stream", "name": "stdout", "text": "[1.0, 2.0, 3.0]\n"}]
    result = {"type": "execution_result", "id": "f", "round": 2, "status": "ok", "outputs": printed}
    session.handle(json.dumps(result))
    done = await sent.wait_for("done")
    assert done["outcome"] == {
        "kind": "fix",
        "status": "fixed",
        "source": proposal["code"],
        "rounds": 2,
        "message": "",
        "cause": None,
    }
    assert not [m for m in sent if m["type"] == "error"]


NORMALIZE = "def normalize(names):\n    cleaned = [n.strip().title() for n in names]"
NORMALIZE_FIX = "def normalize(names):\n    return [n.strip().title() for n in names]\n\nnames = sorted(normalize(raw))"


@pytest.mark.parametrize(
    ("earlier", "original", "fix", "cause"),
    [
        ([NORMALIZE, "raw = [' b', 'a']"], "names = sorted(normalize(raw))", NORMALIZE_FIX, (0, ["normalize"])),
        (
            ["import io", "df = read(text)", "x = 1"],
            "m = df['score'].mean()",
            "df.columns = df.columns.str.strip()\nm = 1",
            (1, ["df"]),
        ),
        (["list = [3, 1]"], "letters = list('ab')", "del list\nletters = list('ab')", (0, ["list"])),
        (["ages = line.split()"], "m = max(ages) + 1", "m = max(int(a) for a in ages) + 1", None),  # repaired in place
        (["x = 1"], "x = y", "y = 2\nx = y", None),  # the failing cell's own name
        (["import re"], "m = re.search(t, p)", "import re\nm = re.search(p, t)", None),  # imports are no cause
    ],
)
def test_the_cause_cell_is_the_earlier_cell_whose_names_the_fix_changes(
    earlier: list[str], original: str, fix: str, cause: tuple[int, list[str]] | None
) -> None:
    assert cause_cell(earlier, original, fix) == cause


async def test_a_fix_that_repairs_an_earlier_cells_definition_names_that_cell() -> None:
    sent = Outbox()
    engine: Any = ScriptedEngine(f"normalize never returned.\n```python\n{NORMALIZE_FIX}\n```")
    session = ChatSession(engine, GenerationDefaults(), sent)
    cell = {"source": "names = sorted(normalize(raw))", "outputs": FAILED.outputs}
    context = ["import math", NORMALIZE, "raw = [' b', 'a']"]
    session.handle(json.dumps({"type": "fix", "id": "f", "cell": cell, "context": context}))
    await sent.wait_for("proposal")
    session.handle(json.dumps({"type": "execution_result", "id": "f", "round": 1, "status": "ok", "outputs": []}))
    done = await sent.wait_for("done")
    assert done["outcome"]["cause"] == {
        "cell": 1,
        "names": ["normalize"],
        "cause_source": "def normalize(names):\n    return [n.strip().title() for n in names]",
        "cell_source": "names = sorted(normalize(raw))",
    }


@pytest.mark.parametrize(
    ("earlier", "original", "fix", "expected"),
    [
        (  # a definition is replaced where it stood; what follows it in that cell stays
            ["def area(r):\n    3.14 * r * r\n\nprint('ok')", "r = 2"],
            "print(area(r) + 1)",
            "def area(r):\n    return 3.14 * r * r\n\nprint(area(r) + 1)",
            (0, "def area(r):\n    return 3.14 * r * r\n\nprint('ok')", "print(area(r) + 1)"),
        ),
        (  # a wrong column rename is replaced; the failing cell keeps its own source
            ["import pandas as pd\ndf = pd.DataFrame({'a b': [1]})\ndf.columns = ['a b']"],
            "df['a_b'].sum()",
            "df.columns = ['a_b']\ndf['a_b'].sum()",
            (0, "import pandas as pd\ndf = pd.DataFrame({'a b': [1]})\ndf.columns = ['a_b']", "df['a_b'].sum()"),
        ),
        (  # a repair of a whole name follows the cell's own work; the failing cell's other change goes with it
            ["xs = [3, 1, 2]"],
            "print(xs[0])",
            "xs = sorted(xs)\nprint(xs[0], xs[-1])",
            (0, "xs = [3, 1, 2]\nxs = sorted(xs)", "print(xs[0], xs[-1])"),
        ),
        # not moved: a repair that uses what the failing cell or a later cell made, IPython syntax, a fix of the
        # cell's own work
        (["df = load()"], "n = 2\nshow(df)", "n = 2\ndf.columns = list(range(n))\nshow(df)", None),
        (["xs = [3, -1]", "key = abs"], "print(xs[0])", "xs = sorted(xs, key=key)\nprint(xs[0])", None),
        (["def f():\n    pass"], "%time f()", "def f():\n    return 1\n%time f()", None),
        (["x = 1"], "print(y)", "print(x)", None),
    ],
)
def test_a_repair_of_an_earlier_cell_is_made_in_that_cell(
    earlier: list[str], original: str, fix: str, expected: tuple[int, str, str] | None
) -> None:
    moved = fix_in_cause(earlier, original, fix)
    assert (moved and (moved.cell, moved.cause_source, moved.source)) == expected


def test_fixes_that_only_hide_the_error_are_recognised() -> None:
    original = "match = re.search(text, r'#(\\d+)')\norder_id = int(match.group(1))"
    guarded = (
        "match = re.search(text, r'#(\\d+)')\nif match:\n    order_id = int(match.group(1))\nelse:\n    order_id = None"
    )
    assert guarded_names(original, guarded) == ["order_id"]
    assert guarded_names("avg = df['s'].mean()", "try:\n    avg = df['s'].mean()\nexcept KeyError:\n    pass") == [
        "avg"
    ]
    assert guarded_names(original, "order_id = int(re.search(r'#(\\d+)', text).group(1))") == []
    assert guarded_names("total = 0\nfor x in xs:\n    total += x", "total = sum(xs)") == []


def test_fixes_that_drop_the_cells_work_are_recognised() -> None:
    original = "merged = orders.merge(customers, on='customer_id')"
    assert dropped_names(original, "orders['customer_id'] = orders['customer_id']") == ["merged"]
    assert dropped_names(original, "merged = orders.merge(customers, left_on='customer_id', right_on='id')") == []
    assert dropped_names("totl = sum(xs)\nprint(total)", "total = sum(xs)\nprint(total)") == [], "a corrected typo"


def test_no_reference_fix_of_the_benchmarks_is_objected_to() -> None:
    objected = {
        c.id: objection
        for c in FIX_CASES + HELD_OUT_CASES
        if (objection := fix_objection(FixTask(c.cell, FAILED, c.setup), c.solution))
    }
    assert objected == {}


async def test_a_guard_that_hides_the_error_is_not_run_and_the_model_is_told() -> None:
    guarded = "Check first.\n```python\nif 'sqroot' in dir(math):\n    roots = [math.sqroot(v) for v in values]\n```"
    fixed = "Use sqrt.\n```python\nroots = [math.sqrt(v) for v in values]\nprint(roots)\n```"
    engine: Any = ScriptedEngine(guarded, fixed)
    async with KernelExecutor(timeout=30) as kernel:
        await kernel.execute(SQRT_SETUP[0])
        outcome = await fix_cell(engine, kernel, FixTask(SQRT_CELL, FAILED, SQRT_SETUP), max_rounds=3)
    assert outcome.status == "fixed"
    (only,) = outcome.rounds
    assert only.discarded == [guarded], "the guarded answer was set aside within the round, never run"
    restarted = engine.prompts[1]
    assert len(restarted) == 2, "the conversation starts over from the first prompt"
    assert "must still do roots every time" in restarted[1]["content"]


async def test_the_failing_code_again_is_asked_again_within_the_round_for_alternatives() -> None:
    repeated = f"Use math.sqrt instead of math.sqroot.\n```python\n{SQRT_CELL}\n```"
    fixed = "Use sqrt.\n```python\nroots = [math.sqrt(v) for v in values]\nprint(roots)\n```"
    engine: Any = ScriptedEngine(repeated, fixed)
    streamed: list[tuple[int, str]] = []
    async with KernelExecutor(timeout=30) as kernel:
        await kernel.execute(SQRT_SETUP[0])
        task = FixTask(SQRT_CELL, FAILED, SQRT_SETUP)
        callbacks = LoopCallbacks(on_token=lambda number, text: streamed.append((number, text)))
        outcome = await fix_cell(engine, kernel, task, max_rounds=1, callbacks=callbacks)
    assert outcome.status == "fixed" and len(outcome.rounds) == 1
    assert (1, "\n\n*Not run: the code that just ran, again. Asking again.*\n\n") in streamed
    first, again = engine.prompts
    assert again[-1]["content"] == f"{first[-1]['content']}\n\n{UNCHANGED_OBJECTION}", "the first prompt, extended"
    assert "Name two different changes to the failing line" in UNCHANGED_OBJECTION


def test_earlier_cells_rebinding_a_builtin_are_context_and_named_in_the_prompt() -> None:
    earlier = ["list = [3, 1, 2]\ntotal = sum(list)", "unrelated = 1"]
    cell = "letters = list(set('banana'))"
    assert relevant_cells(earlier, cell) == [earlier[0]]
    assert shadowed_builtins(earlier, cell) == ["list"]
    prompt = build_fix_prompt(FixTask(cell, FAILED, earlier))[1]["content"]
    assert "An earlier cell rebinds the built-in list: `del list`" in prompt


def test_the_benchmark_can_leave_the_hints_out_to_measure_what_they_buy() -> None:
    earlier = ["list = [3, 1, 2]"]
    cell = "letters = list(set('banana'))"
    assert "Hint:" in build_fix_prompt(FixTask(cell, FAILED, earlier))[1]["content"]
    assert "Hint:" not in build_fix_prompt(FixTask(cell, FAILED, earlier, aids=FixAids(hints=False)))[1]["content"]
    with pytest.raises(SystemExit, match="--without: unknown tips"):
        cli.main(["bench", "fix", "--without", "hints,tips"])
    with pytest.raises(SystemExit):
        cli.main(["bench", "fix", "--candidates", "0"])


async def test_the_headless_fixer_tries_several_candidates_for_a_rounds_prompt() -> None:
    wrong = "Use the root.\n```python\nroots = [math.root(v) for v in values]\nprint(roots)\n```"
    fixed = "Use sqrt.\n```python\nroots = [math.sqrt(v) for v in values]\nprint(roots)\n```"
    engine: Any = ScriptedEngine(wrong, fixed)
    async with KernelExecutor(timeout=30) as kernel:
        await kernel.execute(SQRT_SETUP[0])
        failure = await kernel.execute(SQRT_CELL)
        task = FixTask(SQRT_CELL, failure, SQRT_SETUP)
        outcome = await fix_cell(engine, kernel, task, max_rounds=1, reader=kernel, candidates=2)
    assert outcome.status == "fixed" and outcome.source == "roots = [math.sqrt(v) for v in values]\nprint(roots)"
    assert [(r.number, r.candidate, r.passed) for r in outcome.rounds] == [(1, 1, False), (1, 2, True)]
    assert engine.prompts[1] == engine.prompts[0], "a second candidate for the same prompt, not a refinement"
    assert engine.temperatures == [0.0, RETRY_TEMPERATURE], "greedy first, then sampled"


async def test_the_next_round_refines_the_last_candidate_that_failed() -> None:
    first = "```python\nroots = [math.root(v) for v in values]\nprint(roots)\n```"
    second = "```python\nroots = [math.sqrtt(v) for v in values]\nprint(roots)\n```"
    engine: Any = ScriptedEngine(first, second, first, "No idea.")
    async with KernelExecutor(timeout=30) as kernel:
        await kernel.execute(SQRT_SETUP[0])
        failure = await kernel.execute(SQRT_CELL)
        task = FixTask(SQRT_CELL, failure, SQRT_SETUP)
        outcome = await fix_cell(engine, kernel, task, max_rounds=2, reader=kernel, candidates=2)
    assert outcome.status != "fixed"
    round_two = engine.prompts[2][-1]["content"]
    assert "math.sqrtt(v)" in round_two and "has no attribute 'sqrtt'" in round_two
    assert outcome.rounds[2].discarded == [first], "code that already ran is never run again, whichever candidate"
