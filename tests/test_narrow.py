"""Asking for the statement that raised when the model hands the failing cell back unchanged (``loop/narrow.py``)."""

from __future__ import annotations

from typing import Any

from scripted import ScriptedEngine

from opencodeinterpreter_lab.loop.execution import KernelExecutor
from opencodeinterpreter_lab.loop.fixer import FixTask, fix_cell
from opencodeinterpreter_lab.loop.narrow import Statement, raising_statement, splice

LOOP_CELL = "import re\nfor t in texts:\n    m = re.search(t,\n                  r'\\d+')\n    print(m.group(0))"


def test_the_raising_statement_is_the_innermost_one_on_the_line_all_its_lines() -> None:
    assert raising_statement(LOOP_CELL, 3) == Statement(3, 4, "m = re.search(t,\n              r'\\d+')")
    assert raising_statement(LOOP_CELL, 5) == Statement(5, 5, "print(m.group(0))")


def test_on_a_compound_statements_header_line_it_is_the_header() -> None:
    assert raising_statement(LOOP_CELL, 2) == Statement(2, 2, "for t in texts:")


def test_nothing_narrower_than_the_cell_means_no_statement() -> None:
    assert raising_statement("total = sum(xs)", 1) is None, "the statement is the whole cell"
    assert raising_statement("\n# sum\ntotal = sum(xs)\n", 3) is None, "only blank lines and comments around it"
    assert raising_statement(LOOP_CELL, None) is None, "the traceback named no line of the cell"
    assert raising_statement(LOOP_CELL, 40) is None
    assert raising_statement("%%time\nx = 1\ny = 1 / 0", 2) is None, "a cell magic numbers its body's lines itself"


def test_code_that_does_not_parse_narrows_to_its_line() -> None:
    assert raising_statement("a = [1, 2\nb = 2", 2) == Statement(2, 2, "b = 2")


def test_a_spliced_statement_is_indented_as_the_one_it_replaces() -> None:
    statement = raising_statement(LOOP_CELL, 3)
    assert statement is not None
    spliced = splice(LOOP_CELL, statement, "m = re.search(r'\\d+', t)")
    assert spliced == "import re\nfor t in texts:\n    m = re.search(r'\\d+', t)\n    print(m.group(0))"
    two_lines = splice(LOOP_CELL, statement, "    pattern = r'\\d+'\n    m = re.search(pattern, t)")
    assert two_lines.splitlines()[2:4] == ["    pattern = r'\\d+'", "    m = re.search(pattern, t)"]


def test_an_answer_that_is_a_whole_cell_replaces_the_cell() -> None:
    statement = raising_statement(LOOP_CELL, 3)
    assert statement is not None
    whole = LOOP_CELL.replace("re.search(t,\n                  r'\\d+')", "re.search(r'\\d+', t)")
    assert splice(LOOP_CELL, statement, whole) == whole


SETUP = ["values = ['3', '4', '5']"]
CELL = "# total of the values\ntotal = sum(values)\nprint(total)"


async def test_a_repeated_cell_gets_the_statement_that_raised_asked_for_and_spliced_back() -> None:
    repeated = f"The values are strings.\n```python\n{CELL}\n```"
    statement_only = "Convert them.\n```python\ntotal = sum(int(v) for v in values)\n```"
    engine: Any = ScriptedEngine(repeated, statement_only)
    async with KernelExecutor(timeout=30) as kernel:
        await kernel.execute(SETUP[0])
        failure = await kernel.execute(CELL)
        outcome = await fix_cell(engine, kernel, FixTask(CELL, failure, SETUP), max_rounds=1, reader=kernel)
        printed = outcome.rounds[-1].result
    assert outcome.status == "fixed" and len(outcome.rounds) == 1, "within the round, at the round's temperature"
    assert outcome.source == "# total of the values\ntotal = sum(int(v) for v in values)\nprint(total)"
    assert printed is not None and "12" in printed.summary()
    request = engine.prompts[1][-1]["content"]
    assert request.startswith(engine.prompts[0][-1]["content"]), "the first prompt again: llama.cpp reuses its cache"
    assert 'You explained: "The values are strings."' in request
    assert "raised by this statement of the cell:\n```python\ntotal = sum(values)\n```" in request


async def test_a_statement_answer_that_keeps_the_error_is_objected_to_as_usual() -> None:
    repeated = f"Hm.\n```python\n{CELL}\n```"
    same_statement = "```python\ntotal = sum(values)\n```"
    engine: Any = ScriptedEngine(repeated, same_statement, repeated)
    async with KernelExecutor(timeout=30) as kernel:
        await kernel.execute(SETUP[0])
        failure = await kernel.execute(CELL)
        task = FixTask(CELL, failure, SETUP)
        outcome = await fix_cell(engine, kernel, task, max_rounds=2, reader=kernel)
    assert outcome.status == "unchanged"
    assert [r.objections for r in outcome.rounds] == [["the code that just ran, again"] * 2] * 2
    assert "raised by this statement" in engine.prompts[3][-1]["content"], "narrowed once in each round"
