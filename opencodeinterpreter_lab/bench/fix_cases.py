"""Benchmark cases for the fix loop: everyday notebook mistakes, each with a check of the intended result.

Every :class:`FixCase` is a small, deterministic notebook: ``setup`` cells that run cleanly in a fresh kernel, a
failing ``cell`` whose intent is readable from its comments and names, and a ``check`` that raises unless the cell
(once fixed) produced the intended values. ``solution`` is one reference fix, used only to validate the data
(see ``tests/test_fix_cases.py``); checks test results, not code, so any correct fix passes.

A data module: long because it holds 48 cases, not logic.
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES: tuple[str, ...] = ("syntax", "name", "attribute", "type", "api", "pandas", "numpy", "root-cause")
"""The valid values of :attr:`FixCase.category`."""

MIN_PER_CATEGORY: dict[str, int] = {
    "syntax": 4,
    "name": 4,
    "attribute": 4,
    "type": 4,
    "api": 4,
    "pandas": 6,
    "numpy": 3,
    "root-cause": 3,
}
"""How many cases each category must have at least."""


@dataclass(frozen=True)
class FixCase:
    id: str
    """A short slug, unique among the cases."""
    category: str
    """One of :data:`CATEGORIES`."""
    setup: tuple[str, ...]
    """Earlier cells, run first in a fresh kernel; they all run without error."""
    cell: str
    """The failing cell: its intent is clear from the cell itself, and it fails when run after ``setup``."""
    check: str
    """Run after the (fixed) cell in the same kernel; raises unless the cell's intent is met."""
    solution: str
    """A reference fix of ``cell`` that passes ``check`` (only used to validate the data)."""


def _code(*lines: str) -> str:
    return "\n".join(lines)


_PANDAS = "import pandas as pd"
_NUMPY = "import numpy as np"

FIX_CASES: tuple[FixCase, ...] = (
    # --- syntax -------------------------------------------------------------------------------------------------
    FixCase(
        id="for-missing-colon",
        category="syntax",
        setup=("prices = [3.5, 2.0, 4.25]",),
        cell=_code("# total of all prices", "total = 0", "for p in prices", "    total += p"),
        check="assert abs(total - 9.75) < 1e-9, total",
        solution=_code("# total of all prices", "total = 0", "for p in prices:", "    total += p"),
    ),
    FixCase(
        id="unclosed-paren",
        category="syntax",
        setup=("scores = [80, 92, 75, 89]",),
        cell=_code("# average of the scores", "average = (sum(scores) / len(scores)"),
        check="assert abs(average - 84.0) < 1e-9, average",
        solution=_code("# average of the scores", "average = sum(scores) / len(scores)"),
    ),
    FixCase(
        id="function-body-not-indented",
        category="syntax",
        setup=(),
        cell=_code("def square(x):", "return x * x", "", "squares = [square(n) for n in range(5)]"),
        check="assert list(squares) == [0, 1, 4, 9, 16], squares",
        solution=_code("def square(x):", "    return x * x", "", "squares = [square(n) for n in range(5)]"),
    ),
    FixCase(
        id="unclosed-string",
        category="syntax",
        setup=('name = "Ada"',),
        cell=_code("# greet the user by name", 'greeting = "Hello, " + name + "!'),
        check="assert greeting == 'Hello, Ada!', greeting",
        solution=_code("# greet the user by name", 'greeting = "Hello, " + name + "!"'),
    ),
    FixCase(
        id="print-statement",
        category="syntax",
        setup=("rows = 42",),
        cell=_code("# build and show the summary line", "summary = 'rows: %d' % rows", "print summary"),
        check="assert summary == 'rows: 42', summary",
        solution=_code("# build and show the summary line", "summary = 'rows: %d' % rows", "print(summary)"),
    ),
    FixCase(
        id="assignment-in-condition",
        category="syntax",
        setup=(),
        cell=_code("# label 0..3 as even or odd", "labels = ['even' if n % 2 = 0 else 'odd' for n in range(4)]"),
        check="assert labels == ['even', 'odd', 'even', 'odd'], labels",
        solution=_code("# label 0..3 as even or odd", "labels = ['even' if n % 2 == 0 else 'odd' for n in range(4)]"),
    ),
    # --- name ---------------------------------------------------------------------------------------------------
    FixCase(
        id="variable-typo",
        category="name",
        setup=("sales = [120, 340, 95]\ntotal_sales = sum(sales)",),
        cell=_code("# share of each sale in the total", "shares = [s / totl_sales for s in sales]"),
        check=_code(
            "expected = [120 / 555, 340 / 555, 95 / 555]",
            "assert len(shares) == 3 and all(abs(a - b) < 1e-9 for a, b in zip(shares, expected)), shares",
        ),
        solution=_code("# share of each sale in the total", "shares = [s / total_sales for s in sales]"),
    ),
    FixCase(
        id="function-name-typo",
        category="name",
        setup=(
            _code("def celsius_to_fahrenheit(c):", "    return c * 9 / 5 + 32"),
            "temps_c = [0, 100, 37]",
        ),
        cell=_code("# temperatures in Fahrenheit", "temps_f = [celsius_to_farenheit(c) for c in temps_c]"),
        check="assert [round(t, 6) for t in temps_f] == [32.0, 212.0, 98.6], temps_f",
        solution=_code("# temperatures in Fahrenheit", "temps_f = [celsius_to_fahrenheit(c) for c in temps_c]"),
    ),
    FixCase(
        id="builtin-typo",
        category="name",
        setup=("sentence = 'the quick brown fox jumps'",),
        cell=_code("# number of words in the sentence", "word_count = lenght(sentence.split())"),
        check="assert word_count == 5, word_count",
        solution=_code("# number of words in the sentence", "word_count = len(sentence.split())"),
    ),
    FixCase(
        id="snake-case-typo",
        category="name",
        setup=('user_name = "grace hopper"',),
        cell=_code("# the user's name with capitalized words", "display_name = username.title()"),
        check="assert display_name == 'Grace Hopper', display_name",
        solution=_code("# the user's name with capitalized words", "display_name = user_name.title()"),
    ),
    FixCase(
        id="module-alias-typo",
        category="name",
        setup=("import math",),
        cell=_code("# hypotenuse of a right triangle with sides 3 and 4", "hyp = mth.sqrt(3**2 + 4**2)"),
        check="assert abs(hyp - 5.0) < 1e-9, hyp",
        solution=_code("# hypotenuse of a right triangle with sides 3 and 4", "hyp = math.sqrt(3**2 + 4**2)"),
    ),
    # --- attribute ----------------------------------------------------------------------------------------------
    FixCase(
        id="list-apend",
        category="attribute",
        setup=("fruits = ['apple', 'banana']",),
        cell=_code("# add 'cherry' to the fruit list", "fruits.apend('cherry')"),
        check="assert fruits == ['apple', 'banana', 'cherry'], fruits",
        solution=_code("# add 'cherry' to the fruit list", "fruits.append('cherry')"),
    ),
    FixCase(
        id="str-uper",
        category="attribute",
        setup=("message = 'stop right there'",),
        cell=_code("# the message in capital letters", "shout = message.uper()"),
        check="assert shout == 'STOP RIGHT THERE', shout",
        solution=_code("# the message in capital letters", "shout = message.upper()"),
    ),
    FixCase(
        id="dict-iteritems",
        category="attribute",
        setup=("settings = {'a': 1, 'b': 2}",),
        cell=_code(
            "# 'key=value' strings from the settings dict",
            "pairs = [f'{k}={v}' for k, v in settings.iteritems()]",
        ),
        check="assert pairs == ['a=1', 'b=2'], pairs",
        solution=_code(
            "# 'key=value' strings from the settings dict",
            "pairs = [f'{k}={v}' for k, v in settings.items()]",
        ),
    ),
    FixCase(
        id="str-lowercase",
        category="attribute",
        setup=("raw_email = '  Ada@Example.COM '",),
        cell=_code(
            "# normalized email: no surrounding spaces, all lower case", "clean_email = raw_email.strip().lowercase()"
        ),
        check="assert clean_email == 'ada@example.com', clean_email",
        solution=_code(
            "# normalized email: no surrounding spaces, all lower case", "clean_email = raw_email.strip().lower()"
        ),
    ),
    FixCase(
        id="str-endwith",
        category="attribute",
        setup=("files = ['data.csv', 'notes.txt', 'sales.csv', 'image.png']",),
        cell=_code("# keep only the csv files", "csv_files = [f for f in files if f.endwith('.csv')]"),
        check="assert csv_files == ['data.csv', 'sales.csv'], csv_files",
        solution=_code("# keep only the csv files", "csv_files = [f for f in files if f.endswith('.csv')]"),
    ),
    # --- type ---------------------------------------------------------------------------------------------------
    FixCase(
        id="str-plus-int",
        category="type",
        setup=("age = 36",),
        cell=_code("# a sentence stating the age", "sentence = 'Ada is ' + age + ' years old'"),
        check="assert sentence == 'Ada is 36 years old', sentence",
        solution=_code("# a sentence stating the age", "sentence = 'Ada is ' + str(age) + ' years old'"),
    ),
    FixCase(
        id="list-indexed-by-str",
        category="type",
        setup=("people = [{'name': 'Ada', 'age': 36}, {'name': 'Alan', 'age': 41}]",),
        cell=_code("# the names of all people", "names = people['name']"),
        check="assert list(names) == ['Ada', 'Alan'], names",
        solution=_code("# the names of all people", "names = [p['name'] for p in people]"),
    ),
    FixCase(
        id="dict-called",
        category="type",
        setup=("scores = {'ada': 90, 'alan': 85}",),
        cell=_code("# Ada's score", "ada_score = scores('ada')"),
        check="assert ada_score == 90, ada_score",
        solution=_code("# Ada's score", "ada_score = scores['ada']"),
    ),
    FixCase(
        id="sum-of-strings",
        category="type",
        setup=("raw = '3,4,5'",),
        cell=_code("# sum of the comma-separated numbers", "total = sum(raw.split(','))"),
        check="assert total == 12, total",
        solution=_code("# sum of the comma-separated numbers", "total = sum(int(x) for x in raw.split(','))"),
    ),
    FixCase(
        id="len-of-int",
        category="type",
        setup=("n = 12345",),
        cell=_code("# number of digits in n", "digits = len(n)"),
        check="assert digits == 5, digits",
        solution=_code("# number of digits in n", "digits = len(str(n))"),
    ),
    FixCase(
        id="float-range",
        category="type",
        setup=("items = [1, 2, 3, 4, 5, 6]",),
        cell=_code("# the first half of the list", "first_half = [items[i] for i in range(len(items) / 2)]"),
        check="assert list(first_half) == [1, 2, 3], first_half",
        solution=_code("# the first half of the list", "first_half = [items[i] for i in range(len(items) // 2)]"),
    ),
    # --- api ----------------------------------------------------------------------------------------------------
    FixCase(
        id="sorted-key-positional",
        category="api",
        setup=("words = ['banana', 'fig', 'apple', 'kiwi']",),
        cell=_code("# the words sorted by length, shortest first", "by_length = sorted(words, len)"),
        check="assert by_length == ['fig', 'kiwi', 'apple', 'banana'], by_length",
        solution=_code("# the words sorted by length, shortest first", "by_length = sorted(words, key=len)"),
    ),
    FixCase(
        id="join-non-strings",
        category="api",
        setup=("values = [3, 1, 4]",),
        cell=_code("# the values as one comma-separated line", "line = ','.join(values)"),
        check="assert line == '3,1,4', line",
        solution=_code("# the values as one comma-separated line", "line = ','.join(str(v) for v in values)"),
    ),
    FixCase(
        id="dict-get-keyword",
        category="api",
        setup=("counts = {'apple': 3, 'banana': 5}",),
        cell=_code("# how many pears there are (0 if missing)", "pear_count = counts.get('pear', default=0)"),
        check="assert pear_count == 0, pear_count",
        solution=_code("# how many pears there are (0 if missing)", "pear_count = counts.get('pear', 0)"),
    ),
    FixCase(
        id="json-load-vs-dumps",
        category="api",
        setup=("import json\nconfig = {'debug': True, 'level': 3}",),
        cell=_code("# serialize the config to a JSON string", "config_json = json.load(config)"),
        check=_code(
            "import json as _json",
            "assert isinstance(config_json, str), type(config_json)",
            "assert _json.loads(config_json) == {'debug': True, 'level': 3}, config_json",
        ),
        solution=_code("# serialize the config to a JSON string", "config_json = json.dumps(config)"),
    ),
    FixCase(
        id="re-search-argument-order",
        category="api",
        setup=("import re\ntext = 'Order #4521 shipped'",),
        cell=_code(
            "# extract the order number from the text",
            r"match = re.search(text, r'#(\d+)')",
            "order_id = int(match.group(1))",
        ),
        check="assert order_id == 4521, order_id",
        solution=_code(
            "# extract the order number from the text",
            r"match = re.search(r'#(\d+)', text)",
            "order_id = int(match.group(1))",
        ),
    ),
    FixCase(
        id="strptime-argument-order",
        category="api",
        setup=("from datetime import datetime\ndate_str = '2024-03-15'",),
        cell=_code("# parse the date string", "d = datetime.strptime('%Y-%m-%d', date_str)"),
        check="assert (d.year, d.month, d.day) == (2024, 3, 15), d",
        solution=_code("# parse the date string", "d = datetime.strptime(date_str, '%Y-%m-%d')"),
    ),
    FixCase(
        id="defaultdict-without-factory",
        category="api",
        setup=("from collections import defaultdict\nwords = ['apple', 'avocado', 'banana', 'blueberry', 'cherry']",),
        cell=_code(
            "# group the words by their first letter",
            "groups = defaultdict()",
            "for w in words:",
            "    groups[w[0]].append(w)",
        ),
        check=_code(
            "expected = {'a': ['apple', 'avocado'], 'b': ['banana', 'blueberry'], 'c': ['cherry']}",
            "assert dict(groups) == expected, groups",
        ),
        solution=_code(
            "# group the words by their first letter",
            "groups = defaultdict(list)",
            "for w in words:",
            "    groups[w[0]].append(w)",
        ),
    ),
    # --- pandas -------------------------------------------------------------------------------------------------
    FixCase(
        id="wrong-column-case",
        category="pandas",
        setup=(_PANDAS, "df = pd.DataFrame({'Price': [10.0, 20.0, 30.0], 'Qty': [1, 2, 3]})"),
        cell=_code("# the mean price", "mean_price = df['price'].mean()"),
        check="assert abs(float(mean_price) - 20.0) < 1e-9, mean_price",
        solution=_code("# the mean price", "mean_price = df['Price'].mean()"),
    ),
    FixCase(
        id="groupby-tuple-columns",
        category="pandas",
        setup=(
            _PANDAS,
            _code(
                "df = pd.DataFrame({",
                "    'region': ['north', 'south', 'north', 'south'],",
                "    'sales': [100, 200, 150, 50],",
                "    'profit': [10, 30, 20, 5],",
                "})",
            ),
        ),
        cell=_code("# total sales and profit per region", "totals = df.groupby('region')['sales', 'profit'].sum()"),
        check=_code(
            "t = totals if 'region' not in totals.columns else totals.set_index('region')",
            "t = t.sort_index()",
            "assert list(t.index) == ['north', 'south'], t",
            "assert t['sales'].tolist() == [250, 250] and t['profit'].tolist() == [30, 35], t",
        ),
        solution=_code(
            "# total sales and profit per region", "totals = df.groupby('region')[['sales', 'profit']].sum()"
        ),
    ),
    FixCase(
        id="agg-unknown-function",
        category="pandas",
        setup=(
            _PANDAS,
            "df = pd.DataFrame({'team': ['red', 'blue', 'red', 'blue'], 'points': [10, 4, 20, 8]})",
        ),
        cell=_code("# average points per team", "avg_points = df.groupby('team')['points'].agg('average')"),
        check=_code(
            "s = avg_points",
            "if isinstance(s, pd.DataFrame):",
            "    s = (s.set_index('team') if 'team' in s.columns else s).iloc[:, 0]",
            "assert {k: float(v) for k, v in s.items()} == {'blue': 6.0, 'red': 15.0}, s",
        ),
        solution=_code("# average points per team", "avg_points = df.groupby('team')['points'].agg('mean')"),
    ),
    FixCase(
        id="merge-different-key-names",
        category="pandas",
        setup=(
            _PANDAS,
            _code(
                "orders = pd.DataFrame({'order_id': [1, 2, 3], 'customer_id': [10, 20, 10]})",
                "customers = pd.DataFrame({'id': [10, 20], 'name': ['Ada', 'Alan']})",
            ),
        ),
        cell=_code("# attach the customer names to the orders", "merged = orders.merge(customers, on='customer_id')"),
        check=_code(
            "m = merged.sort_values('order_id')",
            "assert m['order_id'].tolist() == [1, 2, 3], m",
            "assert m['name'].tolist() == ['Ada', 'Alan', 'Ada'], m",
        ),
        solution=_code(
            "# attach the customer names to the orders",
            "merged = orders.merge(customers, left_on='customer_id', right_on='id')",
        ),
    ),
    FixCase(
        id="loc-with-position",
        category="pandas",
        setup=(_PANDAS, "df = pd.DataFrame({'score': [7, 9, 4]}, index=['ann', 'bob', 'cat'])"),
        cell=_code("# the score in the first row", "first_score = df.loc[0, 'score']"),
        check="assert first_score == 7, first_score",
        solution=_code("# the score in the first row", "first_score = df.iloc[0]['score']"),
    ),
    FixCase(
        id="dataframe-append-removed",
        category="pandas",
        setup=(_PANDAS, "people = pd.DataFrame({'name': ['Ada', 'Alan'], 'age': [36, 41]})"),
        cell=_code(
            "# add a row for Carol, 29",
            "new_row = {'name': 'Carol', 'age': 29}",
            "people = people.append(new_row, ignore_index=True)",
        ),
        check=_code(
            "assert people['name'].tolist() == ['Ada', 'Alan', 'Carol'], people",
            "assert people['age'].tolist() == [36, 41, 29], people",
        ),
        solution=_code(
            "# add a row for Carol, 29",
            "new_row = {'name': 'Carol', 'age': 29}",
            "people = pd.concat([people, pd.DataFrame([new_row])], ignore_index=True)",
        ),
    ),
    FixCase(
        id="to-datetime-day-first",
        category="pandas",
        setup=(_PANDAS, "df = pd.DataFrame({'date': ['15/03/2024', '02/04/2024', '25/12/2024']})"),
        cell=_code(
            "# parse the dates (day/month/year) and take each month",
            "df['date'] = pd.to_datetime(df['date'], format='%m/%d/%Y')",
            "months = df['date'].dt.month.tolist()",
        ),
        check="assert [int(m) for m in months] == [3, 4, 12], months",
        solution=_code(
            "# parse the dates (day/month/year) and take each month",
            "df['date'] = pd.to_datetime(df['date'], format='%d/%m/%Y')",
            "months = df['date'].dt.month.tolist()",
        ),
    ),
    FixCase(
        id="dt-accessor-on-strings",
        category="pandas",
        setup=(_PANDAS, "users = pd.DataFrame({'user': ['ada', 'alan'], 'signup': ['2021-06-01', '2023-01-15']})"),
        cell=_code("# the year each user signed up", "years = users['signup'].dt.year.tolist()"),
        check="assert [int(y) for y in years] == [2021, 2023], years",
        solution=_code("# the year each user signed up", "years = pd.to_datetime(users['signup']).dt.year.tolist()"),
    ),
    FixCase(
        id="boolean-and-on-series",
        category="pandas",
        setup=(
            _PANDAS,
            _code(
                "df = pd.DataFrame({",
                "    'name': ['Ada', 'Alan', 'Grace', 'Linus'],",
                "    'age': [36, 41, 29, 54],",
                "    'city': ['London', 'London', 'New York', 'Helsinki'],",
                "})",
            ),
        ),
        cell=_code(
            "# people older than 30 who live in London",
            "result = df[df['age'] > 30 and df['city'] == 'London']",
        ),
        check="assert result['name'].tolist() == ['Ada', 'Alan'], result",
        solution=_code(
            "# people older than 30 who live in London",
            "result = df[(df['age'] > 30) & (df['city'] == 'London')]",
        ),
    ),
    # --- numpy --------------------------------------------------------------------------------------------------
    FixCase(
        id="matmul-needs-transpose",
        category="numpy",
        setup=(_NUMPY, "A = np.arange(6).reshape(2, 3)\nB = np.arange(6).reshape(2, 3)"),
        cell=_code("# 2x2 Gram matrix: dot product of every row of A with every row of B", "gram = A @ B"),
        check="assert np.array_equal(gram, [[5, 14], [14, 50]]), gram",
        solution=_code("# 2x2 Gram matrix: dot product of every row of A with every row of B", "gram = A @ B.T"),
    ),
    FixCase(
        id="reshape-wrong-size",
        category="numpy",
        setup=(_NUMPY, "values = np.arange(1, 13)"),
        cell=_code("# arrange the 12 values into rows of 3 values each", "grid = values.reshape(3, 3)"),
        check=_code(
            "assert grid.shape == (4, 3), grid.shape",
            "assert grid[1].tolist() == [4, 5, 6], grid",
        ),
        solution=_code("# arrange the 12 values into rows of 3 values each", "grid = values.reshape(-1, 3)"),
    ),
    FixCase(
        id="inplace-divide-int-array",
        category="numpy",
        setup=(_NUMPY, "counts = np.array([1, 2, 3])"),
        cell=_code("# halve every count", "counts /= 2"),
        check="assert np.allclose(counts, [0.5, 1.0, 1.5]), counts",
        solution=_code("# halve every count", "counts = counts / 2"),
    ),
    FixCase(
        id="sum-axis-out-of-range",
        category="numpy",
        setup=(_NUMPY, "m = np.arange(6).reshape(2, 3)"),
        cell=_code("# the total of each row", "row_totals = m.sum(axis=2)"),
        check="assert np.asarray(row_totals).tolist() == [3, 12], row_totals",
        solution=_code("# the total of each row", "row_totals = m.sum(axis=1)"),
    ),
    FixCase(
        id="concatenate-arguments",
        category="numpy",
        setup=(_NUMPY, "a = np.array([1, 2])\nb = np.array([3, 4])"),
        cell=_code("# join the two arrays end to end", "both = np.concatenate(a, b)"),
        check="assert np.asarray(both).tolist() == [1, 2, 3, 4], both",
        solution=_code("# join the two arrays end to end", "both = np.concatenate([a, b])"),
    ),
    # --- root cause in another cell -----------------------------------------------------------------------------
    FixCase(
        id="csv-header-with-spaces",
        category="root-cause",
        setup=(
            "import io\n" + _PANDAS,
            _code("csv_text = 'name, score\\nAda, 90\\nAlan, 85\\n'", "df = pd.read_csv(io.StringIO(csv_text))"),
        ),
        cell=_code("# the average score", "avg_score = df['score'].mean()"),
        check="assert abs(float(avg_score) - 87.5) < 1e-9, avg_score",
        solution=_code("# the average score", "df.columns = df.columns.str.strip()", "avg_score = df['score'].mean()"),
    ),
    FixCase(
        id="function-returns-none",
        category="root-cause",
        setup=(
            _code("def normalize(names):", "    cleaned = [n.strip().title() for n in names]"),
            "raw_names = ['  ada ', 'ALAN', 'grace  ']",
        ),
        cell=_code("# the normalized names, sorted", "names = sorted(normalize(raw_names))"),
        check="assert names == ['Ada', 'Alan', 'Grace'], names",
        solution=_code(
            "def normalize(names):",
            "    return [n.strip().title() for n in names]",
            "",
            "# the normalized names, sorted",
            "names = sorted(normalize(raw_names))",
        ),
    ),
    FixCase(
        id="split-gives-strings",
        category="root-cause",
        setup=("input_line = '9 27 45'\nages = input_line.split()",),
        cell=_code("# the oldest age, one year from now", "next_year_max = max(ages) + 1"),
        check="assert next_year_max == 46, next_year_max",
        solution=_code("# the oldest age, one year from now", "next_year_max = max(int(a) for a in ages) + 1"),
    ),
    FixCase(
        id="threshold-is-a-string",
        category="root-cause",
        setup=("config = {'threshold': '50'}\nthreshold = config['threshold']", "values = [12, 75, 50, 120, 8]"),
        cell=_code("# the values above the threshold", "high = [v for v in values if v > threshold]"),
        check="assert list(high) == [75, 120], high",
        solution=_code("# the values above the threshold", "high = [v for v in values if v > int(threshold)]"),
    ),
    FixCase(
        id="builtin-list-shadowed",
        category="root-cause",
        setup=("list = [3, 1, 2]\ntotal = sum(list)",),
        cell=_code("# the distinct letters of 'banana', as a list", "letters = list(set('banana'))"),
        check=_code(
            "import builtins",
            "assert isinstance(letters, builtins.list), type(letters)",
            "assert builtins.sorted(letters) == ['a', 'b', 'n'], letters",
        ),
        solution=_code("# the distinct letters of 'banana', as a list", "del list", "letters = list(set('banana'))"),
    ),
)
"""The benchmark: see :class:`FixCase`."""
