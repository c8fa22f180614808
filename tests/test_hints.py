"""Error hints: each rule fires on the error the installed Python, NumPy and pandas really raise (a real kernel, so
a library that rewords its message fails here), and stays quiet where it has nothing true to say."""

from __future__ import annotations

from opencodeinterpreter_lab.loop.execution import KernelExecutor, describe_variables
from opencodeinterpreter_lab.loop.feedback import ErrorInfo
from opencodeinterpreter_lab.loop.hints import HintContext, error_hints

_NP = "import numpy as np\n"
_PD = "import pandas as pd\n"

# (earlier cells, failing cell, a phrase of the hint it must get)
FIRING: list[tuple[tuple[str, ...], str, str]] = [
    ((_NP + "counts = np.array([1, 2])",), "counts /= 2", "assign a new array"),
    (
        (_PD + "df = pd.DataFrame({'k': [1], 'a': [2], 'b': [3]})",),
        "df.groupby('k')['a', 'b'].sum()",
        "two pairs of brackets",
    ),
    ((_NP,), "np.arange(12).reshape(5, 3)", "-1 lets NumPy"),
    ((_NP,), "np.ones((2, 3)) @ np.ones((2, 3))", "transpose one"),
    ((_NP,), "np.ones((2, 3)).sum(axis=2)", "Axes count from 0"),
    ((_PD + "s = pd.Series([1, 2])",), "s[s > 0 and s < 2]", "&, | and ~"),
    ((_PD,), "pd.DataFrame().append({'a': 1}, ignore_index=True)", "pd.concat"),
    ((), "{}.iteritems()", ".items()"),
    ((_PD,), "pd.Series(['2024-01-01']).dt.year", "pd.to_datetime"),
    ((_PD,), "pd.Series([1]).str.upper()", "astype(str)"),
    ((_NP,), "np.concatenate(np.ones(2), np.ones(2))", "one sequence"),
    ((), "list(range(2.5))", "need ints"),
    (("from datetime import datetime",), "datetime.strptime('%Y', '2024')", "text first"),
    (("import json",), "json.loads({'a': 1})", "json.loads reads"),
    ((), "{[1]: 2}", "use tuples"),
    ((), "{}.get('a', default=0)", "by position only"),
    ((), "int('3.5')", "float() first"),
    ((), "pd.DataFrame()", "Import it"),
    ((), "'total: ' + 1", "A str is mixed with a number"),
    (("ages = '9 27 45'.split()",), "max(ages) > 30", "A str is mixed with a number"),
    (("import re",), "re.search('abc', 'x').group(0)", "`re.search('abc', 'x')` found no match"),
    (("def clean(x):\n    y = x.strip()",), "len(clean(' a '))", "a function without a `return`"),
    (("prices = {'Price': 3}",), "prices['price']", "did you mean 'Price'?"),
    ((_PD + "df = pd.DataFrame({'name': ['a'], ' score': [1]})",), "df['score']", "note the spaces"),
    ((_PD + "df = pd.DataFrame({'v': [1, 2]}, index=['x', 'y'])",), "df.loc[0]", ".iloc selects by position"),
    (("list = [3, 1, 2]",), "letters = list('ab')", "`del list` at the top of this cell"),
]


# (earlier cells, failing cell): nothing true to add
QUIET: list[tuple[tuple[str, ...], str]] = [
    ((), "1 / 0"),  # the message says it all
    (("prices = {'apple': 3}",), "prices['zucchini']"),  # no key close to the missing one
    ((_PD + "df = pd.DataFrame({'v': [1]})",), "df.v.sum() + undefined_name"),
]


async def _hints(kernel: KernelExecutor, earlier: tuple[str, ...], cell: str) -> list[str]:
    await kernel.execute("%reset -f")
    for setup in earlier:
        assert (await kernel.execute(setup)).ok, setup
    failure = await kernel.execute(cell)
    assert failure.error is not None, f"{cell!r} did not fail"
    variables = await describe_variables(kernel, ["df", "prices", "ages", "counts", "s"])
    return error_hints(HintContext(failure.error, cell, earlier, variables))


async def test_every_rule_fires_on_the_real_error_and_only_where_it_has_something_to_say() -> None:
    problems = []
    async with KernelExecutor(timeout=30) as kernel:
        for earlier, cell, phrase in FIRING:
            hints = await _hints(kernel, earlier, cell)
            if not any(phrase in hint for hint in hints):
                problems.append(f"{cell!r}: no hint with {phrase!r} in {hints}")
        for earlier, cell in QUIET:
            if hints := await _hints(kernel, earlier, cell):
                problems.append(f"{cell!r}: unexpected hints {hints}")
    assert not problems, "\n".join(problems)


def test_a_regex_that_does_not_match_is_quoted_in_the_hint() -> None:
    error = ErrorInfo("AttributeError", "'NoneType' object has no attribute 'group'")
    source = "m = re.search(text, r'#(\\d+)')\norder = int(m.group(1))"
    (hint,) = error_hints(HintContext(error, source, (), ""))
    assert "`re.search(text, r'#(\\d+)')` found no match (re.search takes the pattern first" in hint
