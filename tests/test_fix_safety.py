"""A fix never makes a notebook worse: checks on a fix's code and run, kernel reads, the fresh-kernel verdict.

No model: a scripted engine gives the answers a real model gives now and then (a guard, made-up data, a pasted
import), so that each check is shown to hold; the real model runs the same paths in test_fix.py and the benchmarks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from scripted import ScriptedEngine

from opencodeinterpreter_lab import cli
from opencodeinterpreter_lab.loop.cells import (
    added_statements,
    defined_names,
    dropped_names,
    guarded_names,
    parse_cell,
    recreated_names,
    stale_names,
    used_names,
    with_own_imports,
    without_pasted,
    without_statement,
)
from opencodeinterpreter_lab.loop.execution import ExecutionResult, KernelExecutor
from opencodeinterpreter_lab.loop.fixer import FixTask, fix_cell, fix_objection
from opencodeinterpreter_lab.loop.kernel_facts import kernel_facts

FAILED = ExecutionResult("error", [{"output_type": "error", "ename": "E", "evalue": "", "traceback": []}])

PLOT_CELL = """%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
plt.style.use('seaborn')
data = np.random.default_rng(0).normal(size=100)
plt.hist(data)
plt.show()"""


def answer(code: str) -> str:
    return f"Here is the fix.\n```python\n{code}\n```"


# ---- reading cells as the kernel does ----------------------------------------------------------------------------


def test_ipython_syntax_is_read_as_the_kernel_reads_it() -> None:
    assert defined_names(PLOT_CELL) == {"np", "plt", "data"}
    assert {"np", "plt"} <= used_names(PLOT_CELL)
    assert defined_names("files = !ls\n%time total = sum(range(3))") >= {"files"}
    assert defined_names("%%time\ntotal = sum(range(10))\nmean = total / 10") == {"total", "mean"}
    assert defined_names("df?") == set()


def test_cells_too_deep_or_broken_to_parse_fall_back_without_raising() -> None:
    assert parse_cell("x = " + "1+" * 3000 + "1") is None
    assert parse_cell("for p in prices\n    total += p") is None
    assert defined_names("total = 0\nfor p in prices\n    total += p") == {"total", "p"}
    assert defined_names("import numpy as np, pandas\nfrom os import path as p, sep\ndef f(:") == {
        "np", "pandas", "p", "sep", "f"
    }  # fmt: skip


# ---- checks on a fix's code -------------------------------------------------------------------------------------


def test_a_fix_that_replaces_a_magic_cell_by_one_import_drops_its_work() -> None:
    dropped = dropped_names(PLOT_CELL, "import seaborn")
    assert {"np", "plt", "data", "plt.hist()", "plt.show()"} <= set(dropped)
    assert dropped_names(PLOT_CELL, PLOT_CELL.replace("'seaborn'", "'seaborn-v0_8'")) == []


def test_a_fix_that_shows_its_result_only_sometimes_hides_the_error() -> None:
    original = "rows = load(path)\nprint(len(rows))"
    assert guarded_names(original, "rows = load(path)\nif rows:\n    print(len(rows))") == ["print()"]
    assert guarded_names(original, "try:\n    rows = load(path)\n    print(len(rows))\nexcept OSError:\n    pass") == [
        "print()",
        "rows",
    ]
    assert dropped_names(original, "rows = load(path)") == ["print()"]
    assert dropped_names("df.shape", "shape = df.shape") != [], "its displayed value"
    assert dropped_names("df.head()", "first = df.head()") != []
    assert dropped_names("df.groupby('a').sum()", "df.groupby('a').sum(numeric_only=True)") == []
    assert dropped_names("xs.apend(1)", "xs.append(1)") == [], "a call may show nothing: not required"


@pytest.mark.parametrize(
    ("fix", "made_up"),
    [
        ("data = [1, 2, 3, 4, 5]\nprint(sum(data))", ["data"]),
        ("import pandas as pd\ndata = pd.DataFrame({'pop': [1, 2]})\nprint(data.loc[:3, 'pop'])", ["data"]),
        ("data = data.dropna()\nprint(data.loc[:3, 'pop'])", []),  # derived from itself
        ("data = pd.read_csv(path)\nprint(data.loc[:3, 'pop'])", []),  # derived again from earlier data
        ("data['pop'] = 0\nprint(data.loc[:3, 'pop'])", ["data"]),  # a made-up column, at a fixed place
        ("data.loc[data['pop'] < 0, 'pop'] = 0\nprint(data.loc[:3, 'pop'])", []),  # cleaning where the data says
        ("data.columns = data.columns.str.strip()\nprint(data.loc[:3, 'pop'])", []),  # relabelled
    ],
)
def test_a_fix_may_not_make_up_data_the_earlier_cells_hold(fix: str, made_up: list[str]) -> None:
    earlier = ["import pandas as pd\npath = 'cities.csv'", "data = pd.read_csv(path)\ndata['area'] = 1"]
    assert recreated_names("print(data.ix[:3, :'pop'])", fix, earlier) == made_up


def test_statements_pasted_from_earlier_cells_are_dropped_from_a_fix() -> None:
    earlier = ["import math\nvalues = [1, 4, 9]\nvalues.append(16)"]
    fix = "import math\nvalues = [1, 4, 9]\nvalues.append(16)\n# the roots\nroots = [math.sqrt(v) for v in values]"
    assert without_pasted(fix, "roots = [math.sqroot(v) for v in values]", earlier) == (
        "import math\n# the roots\nroots = [math.sqrt(v) for v in values]"
    )
    assert without_pasted("values = [1, 4, 9]", "x = values[9]", earlier) == "values = [1, 4, 9]", "nothing left"
    assert without_pasted("n = 0\nn += 1", "n = 0\nn += 1\nprint(n / 0)", ["n = 0"]) == "n = 0\nn += 1", "its own"


def test_the_statements_a_fix_added_are_found_and_can_be_dropped() -> None:
    original = "# serialize the config\nconfig_json = json.load(config)\nprint(config_json)"
    fix = (
        "import json\n# serialize the config\nconfig_json = json.dumps(config)\n\n# and back\n"
        "config_json = json.loads(config_json)\nprint(config_json)"
    )
    added = added_statements(original, fix)
    assert [s.lineno for s in added] == [3, 6], "the changed line and the one after it; not the import or print"
    assert without_statement(fix, added[1], original) == (
        "import json\n# serialize the config\nconfig_json = json.dumps(config)\n\nprint(config_json)"
    ), "its comment goes with it"
    assert without_statement(fix, added[0], original) == (
        "import json\n# serialize the config\n\n# and back\nconfig_json = json.loads(config_json)\nprint(config_json)"
    ), "the cell's own comment stays"
    assert added_statements("x = f(1)", "x = g(1)") == [], "a changed statement is not an added one"
    cell = "df.loc[df.x < 0, 'x'] = np.NaN\nprint(df.x.mean())"
    changed = "import numpy as np\ndf.loc[df.x < 0, 'x'] = np.nan\nprint(df.x.mean())"
    assert added_statements(cell, changed) == [], "nor is an import: dropping the change would undo the fix"
    assert [s.lineno for s in added_statements(cell, "df = df.copy()\n" + changed)] == [1], "but this is"
    assert added_statements("x = f(1)", "y = 2; x = f(y)") == [], "statements sharing a line stay together"
    assert added_statements("%%time\nx = f(1)", "%%time\ny = 2\nx = f(y)") == [], "lines moved by a cell magic"
    decorated = "@cache\ndef f(n):\n    return n\nx = f(1)"
    (definition,) = added_statements("x = f(1)", decorated)
    assert without_statement(decorated, definition) == "x = f(1)", "with its decorator"


def test_a_fix_gets_the_cells_own_imports_back_where_it_uses_them() -> None:
    fix = "data = np.random.default_rng(0).normal(size=100)\nplt.hist(data)\nplt.show()"
    assert with_own_imports(fix, PLOT_CELL, set()) == ("import numpy as np\nimport matplotlib.pyplot as plt\n" + fix)
    assert with_own_imports(fix, PLOT_CELL, {"np", "plt"}) == fix, "an earlier cell imports them"
    assert stale_names(PLOT_CELL, with_own_imports(fix, PLOT_CELL, set()), set()) == []


def test_a_fix_may_not_lean_on_what_the_failed_original_bound() -> None:
    fix = "data = np.random.default_rng(0).normal(size=100)\nplt.hist(data)\nplt.show()"
    assert stale_names(PLOT_CELL, fix, set()) == ["np", "plt"]
    assert stale_names(PLOT_CELL, "import numpy as np\nimport matplotlib.pyplot as plt\n" + fix, set()) == []
    assert stale_names(PLOT_CELL, fix, {"np", "plt"}) == [], "an earlier cell binds them too"


def test_the_objections_say_what_to_keep() -> None:
    task = FixTask("print(total / count)", FAILED, ["total = 10\ncount = 0"])
    assert "make up data" in (fix_objection(task, "count = 1\nprint(total / count)") or "")
    assert fix_objection(task, "print(total / count if count else float('nan'))") is None


# ---- checks on a fix's run --------------------------------------------------------------------------------------


async def test_a_fix_that_runs_but_shows_nothing_is_not_accepted() -> None:
    silent = answer("values = [3, 4]\nprint(*[sum(values) / len(values)][:0], end='')")  # prints nothing
    fixed = answer("values = [3, 4]\nprint(sum(values) / len(values))")
    engine: Any = ScriptedEngine(silent, fixed)
    source = "values = [3, 4]\nprint(sum(values) / len(value))"
    async with KernelExecutor(timeout=30) as kernel:
        failure = await kernel.execute(source)
        outcome = await fix_cell(engine, kernel, FixTask(source, failure), max_rounds=3)
    assert outcome.status == "fixed"
    first, second = outcome.rounds
    assert first.result is not None and first.result.ok and first.rejected and "showed nothing" in first.rejected
    assert second.passed and outcome.source in fixed


async def test_a_cell_that_does_not_parse_must_still_bind_its_names_in_the_kernel() -> None:
    source = "prices = [3, 4]\ntotal = 0\nfor p in prices\n    total += p"
    dropped = answer("prices = [3, 4]\nsum(prices)")
    fixed = answer("prices = [3, 4]\ntotal = 0\nfor p in prices:\n    total += p")
    engine: Any = ScriptedEngine(dropped, fixed)
    async with KernelExecutor(timeout=30) as kernel:
        failure = await kernel.execute(source)
        outcome = await fix_cell(engine, kernel, FixTask(source, failure), max_rounds=3, reader=kernel)
        assert (await kernel.execute("assert total == 7")).ok
    assert outcome.rounds[0].rejected is not None and "did not set" in outcome.rounds[0].rejected
    assert "total" in outcome.rounds[0].rejected
    assert outcome.status == "fixed" and outcome.source in fixed


async def test_a_name_the_fix_renames_in_a_cell_that_did_not_parse_is_not_required() -> None:
    source = "class = 'A'\nlabel = class.lower()"
    engine: Any = ScriptedEngine(answer("cls = 'A'\nlabel = cls.lower()"))
    async with KernelExecutor(timeout=30) as kernel:
        failure = await kernel.execute(source)
        outcome = await fix_cell(engine, kernel, FixTask(source, failure), max_rounds=1, reader=kernel)
    assert outcome.status == "fixed", outcome.rounds[0].rejected


async def test_code_that_already_ran_is_never_run_again() -> None:
    first = answer("x = int('1.5')")
    engine: Any = ScriptedEngine(first, answer("x = int('2.5')"), first, answer("x = int(float('1.5'))"))
    async with KernelExecutor(timeout=30) as kernel:
        source = "x = int('1.5 ')"
        failure = await kernel.execute(source)
        ran: list[str] = []

        class Recording:
            async def execute(self, code: str) -> ExecutionResult:
                ran.append(code)
                return await kernel.execute(code)

        outcome = await fix_cell(engine, Recording(), FixTask(source, failure), max_rounds=3)
    assert ran == ["x = int('1.5')", "x = int('2.5')", "x = int(float('1.5'))"]
    assert outcome.status == "fixed"


# ---- asking the kernel --------------------------------------------------------------------------------------------


SIDE_EFFECT = """class Loud:
    calls = 0
    @property
    def size(self):
        Loud.calls += 1
        return 1
    def resize(self, width, height, *, keep_ratio=True):
        "Change the size in place."
loud = Loud()"""


async def facts_for(kernel: KernelExecutor, setup: str, cell: str) -> str:
    assert (await kernel.execute(setup)).ok
    failure = await kernel.execute(cell)
    assert not failure.ok, cell
    return await kernel_facts(kernel, cell, failure)


async def test_the_kernel_says_what_the_failing_line_calls_without_running_user_code() -> None:
    async with KernelExecutor(timeout=30) as kernel:
        facts = await facts_for(kernel, "import numpy as np", "x = np.arange(3, dtype=np.float)")
        assert "float64" in facts or "float_" in facts, facts
        facts = await facts_for(kernel, "import pandas as pd\ns = pd.Series(['a,b'])", "parts = s.split(',')")
        assert ".str.split" in facts, facts
        facts = await facts_for(kernel, SIDE_EFFECT, "loud.resize(2, 3, keep=False)")
        assert "resize(self, width, height, *, keep_ratio=True)" in facts and "Change the size in place" in facts
        facts = await facts_for(kernel, "list = [3, 1, 2]", "letters = list(set('banana'))")
        assert facts.startswith("list is a list, not a function: it hides the built-in list"), facts
        failure = await kernel.execute("n = loud.size.bit_count(7)")  # runs the property once, then fails
        assert await kernel.evaluate("Loud.calls") == "1"
        await kernel_facts(kernel, "n = loud.size.bit_count(7)", failure)
        assert await kernel.evaluate("Loud.calls") == "1", "a property is never run by a read"
        names = await kernel.evaluate("sorted(k for k in get_ipython().user_ns if not k.startswith('_'))")
        assert names is not None and "probe" not in names and "ns" not in names, "the user's namespace is untouched"
        assert await kernel_facts(kernel, "1 / 0", await kernel.execute("1 / 0")) == "", "nothing to look up"


async def test_a_kernel_read_that_hangs_or_is_huge_is_skipped() -> None:
    async with KernelExecutor(timeout=30) as kernel:
        assert await kernel.evaluate("__import__('time').sleep(3)", timeout=0.5) is None
        assert await kernel.evaluate("'x' * 10_000_000") is not None  # cut, not a stall
        assert len(await kernel.evaluate("'x' * 10_000_000") or "") <= 4000
        assert await kernel.evaluate("1 / 0") is None


# ---- the headless fixer's verdict -------------------------------------------------------------------------------


def write_notebook(path: Path, *sources: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(notebook, path)


def test_a_fix_that_breaks_a_cell_that_passed_is_withdrawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cell 2's fix empties the list that cell 3 reads: cell 3 passed before, fails after; the fix is withdrawn."""
    breaking = answer("mean = sum(values) / len(values.clear() or values or [1])")  # one statement: no trim
    monkeypatch.setattr(cli, "_engine", lambda args: ScriptedEngine(breaking))
    source = tmp_path / "nb.ipynb"
    write_notebook(source, "values = [1, 2, 3]", "mean = sum(values) / count", "print(values[0] + 1)")
    assert cli.main(["fix", str(source)]) == 1
    out = capsys.readouterr().out
    assert "cell 2: fix withdrawn, original kept: cell 3, which passed before, fails with it" in out
    assert "1 failed before, 1 fail after (0 fixed, 0 regressions)" in out
    written = nbformat.read(tmp_path / "nb.fixed.ipynb", as_version=4)
    assert written.cells[1].source == "mean = sum(values) / count"
    assert "opencodeinterpreter" not in written.cells[1].metadata
    assert written.cells[2].outputs[0]["text"] == "2\n", "outputs come from the final fresh run"


def test_a_cell_knocked_out_by_a_cell_that_stays_broken_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = ScriptedEngine("No idea.")
    monkeypatch.setattr(cli, "_engine", lambda args: engine)
    source = tmp_path / "nb.ipynb"
    write_notebook(source, "data = load('x.csv')", "print(len(data))", "print('independent')")
    assert cli.main(["fix", str(source), "--max-rounds", "1", "--candidates", "1"]) == 1
    out = capsys.readouterr().out
    assert "cell 2: NameError: name 'data' is not defined -> NOT fixed (It fails because cell 1 still fails" in out
    assert len(engine.prompts) == 2, "only cell 1 was worked on (one round: an answer, asked again for code)"
