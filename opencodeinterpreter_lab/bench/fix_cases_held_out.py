"""Held-out benchmark cases for the fix loop, to check that fix-rate gains generalise beyond :data:`FIX_CASES`.

The fixer's prompts were tuned while measuring on :data:`~opencodeinterpreter_lab.fix_cases.FIX_CASES`, so a gain
there may only mean the prompts fit those cases. These cases were written afterwards, by someone who did not see
the prompts, hints or results, and none of them re-skins a case of ``FIX_CASES`` (a different error or API each
time). Report the fix rate on both sets: a prompt change that helps only on ``FIX_CASES`` is overfitting.

The format and the rules are those of :class:`~opencodeinterpreter_lab.fix_cases.FixCase`: deterministic setup cells
that run cleanly in a fresh kernel, a short failing cell whose intent is clear from its comment and names, a check of
the intended values (not of the code), and one reference solution (see ``tests/test_fix_cases.py``).

A data module: long because it holds 24 cases, not logic.
"""

from __future__ import annotations

from .fix_cases import FixCase, _code

_PANDAS = "import pandas as pd"
_NUMPY = "import numpy as np"

HELD_OUT_CASES: tuple[FixCase, ...] = (
    # --- syntax -------------------------------------------------------------------------------------------------
    FixCase(
        id="dict-missing-comma",
        category="syntax",
        setup=(),
        cell=_code(
            "# stock level of each fruit, and the total",
            "stock = {'apples': 12, 'pears': 7 'plums': 5}",
            "total_stock = sum(stock.values())",
        ),
        check=_code(
            "assert dict(stock) == {'apples': 12, 'pears': 7, 'plums': 5}, stock",
            "assert total_stock == 24, total_stock",
        ),
        solution=_code(
            "# stock level of each fruit, and the total",
            "stock = {'apples': 12, 'pears': 7, 'plums': 5}",
            "total_stock = sum(stock.values())",
        ),
    ),
    FixCase(
        id="keyword-as-variable-name",
        category="syntax",
        setup=(),
        cell=_code(
            "# exponential decay weights: lambda is the decay factor per step",
            "lambda = 0.5",
            "weights = [lambda**k for k in range(4)]",
        ),
        check="assert [float(w) for w in weights] == [1.0, 0.5, 0.25, 0.125], weights",
        solution=_code(
            "# exponential decay weights: lam is the decay factor per step",
            "lam = 0.5",
            "weights = [lam**k for k in range(4)]",
        ),
    ),
    FixCase(
        id="default-before-required-parameter",
        category="syntax",
        setup=(),
        cell=_code(
            "# greet someone by name; the greeting word defaults to 'Hello'",
            "def greet(greeting='Hello', name):",
            "    return f'{greeting}, {name}!'",
            "messages = [greet('Ada'), greet('Alan', greeting='Hi')]",
        ),
        check="assert list(messages) == ['Hello, Ada!', 'Hi, Alan!'], messages",
        solution=_code(
            "# greet someone by name; the greeting word defaults to 'Hello'",
            "def greet(name, greeting='Hello'):",
            "    return f'{greeting}, {name}!'",
            "messages = [greet('Ada'), greet('Alan', greeting='Hi')]",
        ),
    ),
    # --- name ---------------------------------------------------------------------------------------------------
    FixCase(
        id="counter-not-imported",
        category="name",
        setup=("colors = 'red blue red green blue red yellow green red blue'.split()",),
        cell=_code("# the three most common colors, with their counts", "top3 = Counter(colors).most_common(3)"),
        check="assert [tuple(t) for t in top3] == [('red', 4), ('blue', 3), ('green', 2)], top3",
        solution=_code(
            "from collections import Counter",
            "",
            "# the three most common colors, with their counts",
            "top3 = Counter(colors).most_common(3)",
        ),
    ),
    FixCase(
        id="function-used-before-def",
        category="name",
        setup=("import math\nradii = [1, 2, 3]",),
        cell=_code(
            "# the area of each circle",
            "areas = [circle_area(r) for r in radii]",
            "def circle_area(r):",
            "    return math.pi * r**2",
        ),
        check=_code(
            "import math as _math",
            "expected = [_math.pi, 4 * _math.pi, 9 * _math.pi]",
            "assert len(areas) == 3 and all(abs(a - b) < 1e-9 for a, b in zip(areas, expected)), areas",
        ),
        solution=_code(
            "def circle_area(r):",
            "    return math.pi * r**2",
            "# the area of each circle",
            "areas = [circle_area(r) for r in radii]",
        ),
    ),
    FixCase(
        id="json-literals-in-python",
        category="name",
        setup=(),
        cell=_code(
            "# the request options, as in the API's JSON example",
            "options = {'verbose': true, 'retries': 3, 'proxy': null}",
        ),
        check=_code(
            "assert options == {'verbose': True, 'retries': 3, 'proxy': None}, options",
            "assert options['verbose'] is True and options['proxy'] is None, options",
        ),
        solution=_code(
            "# the request options, as in the API's JSON example",
            "options = {'verbose': True, 'retries': 3, 'proxy': None}",
        ),
    ),
    # --- attribute ----------------------------------------------------------------------------------------------
    FixCase(
        id="set-append",
        category="attribute",
        setup=("visits = ['home', 'about', 'home', 'blog', 'about']",),
        cell=_code(
            "# the distinct pages that were visited",
            "seen = set()",
            "for page in visits:",
            "    seen.append(page)",
        ),
        check="assert sorted(seen) == ['about', 'blog', 'home'], seen",
        solution=_code(
            "# the distinct pages that were visited",
            "seen = set()",
            "for page in visits:",
            "    seen.add(page)",
        ),
    ),
    FixCase(
        id="dict-dot-access",
        category="attribute",
        setup=("import math\nconfig = {'batch_size': 32, 'epochs': 10}\nn_samples = 1000",),
        cell=_code(
            "# training steps: batches per epoch (last partial batch included) times epochs",
            "steps = math.ceil(n_samples / config.batch_size) * config.epochs",
        ),
        check="assert steps == 320, steps",
        solution=_code(
            "# training steps: batches per epoch (last partial batch included) times epochs",
            "steps = math.ceil(n_samples / config['batch_size']) * config['epochs']",
        ),
    ),
    FixCase(
        id="datetime-module-not-class",
        category="attribute",
        setup=("import datetime\nrelease = '2024-03-15'",),
        cell=_code(
            "# the weekday of the release date",
            "release_date = datetime.fromisoformat(release)",
            "weekday = release_date.strftime('%A')",
        ),
        check="assert weekday == 'Friday', weekday",
        solution=_code(
            "# the weekday of the release date",
            "release_date = datetime.datetime.fromisoformat(release)",
            "weekday = release_date.strftime('%A')",
        ),
    ),
    # --- type ---------------------------------------------------------------------------------------------------
    FixCase(
        id="sort-returns-none",
        category="type",
        setup=("scores = [72, 95, 88, 61, 99]",),
        cell=_code(
            "# the three highest scores, best first",
            "ranked = scores.sort(reverse=True)",
            "top3 = ranked[:3]",
        ),
        check="assert list(top3) == [99, 95, 88], top3",
        solution=_code(
            "# the three highest scores, best first",
            "ranked = sorted(scores, reverse=True)",
            "top3 = ranked[:3]",
        ),
    ),
    FixCase(
        id="loop-over-len",
        category="type",
        setup=("tasks = ['write', 'review', 'ship']",),
        cell=_code(
            "# a numbered task list: '1. write', '2. review', ...",
            "lines = []",
            "for i in len(tasks):",
            "    lines.append(f'{i + 1}. {tasks[i]}')",
        ),
        check="assert list(lines) == ['1. write', '2. review', '3. ship'], lines",
        solution=_code(
            "# a numbered task list: '1. write', '2. review', ...",
            "lines = []",
            "for i in range(len(tasks)):",
            "    lines.append(f'{i + 1}. {tasks[i]}')",
        ),
    ),
    FixCase(
        id="set-of-lists",
        category="type",
        setup=("path = [[0, 0], [0, 1], [1, 1], [0, 1], [0, 0]]",),
        cell=_code("# how many distinct grid cells the path visits", "n_distinct = len(set(path))"),
        check="assert n_distinct == 3, n_distinct",
        solution=_code(
            "# how many distinct grid cells the path visits",
            "n_distinct = len({tuple(cell) for cell in path})",
        ),
    ),
    # --- api ----------------------------------------------------------------------------------------------------
    FixCase(
        id="format-positional-for-named",
        category="api",
        setup=("city, population = 'Oslo', 709000",),
        cell=_code(
            "# fill in the sentence template",
            "template = '{city} has {population:,} inhabitants'",
            "sentence = template.format(city, population)",
        ),
        check="assert sentence == 'Oslo has 709,000 inhabitants', sentence",
        solution=_code(
            "# fill in the sentence template",
            "template = '{city} has {population:,} inhabitants'",
            "sentence = template.format(city=city, population=population)",
        ),
    ),
    FixCase(
        id="max-of-empty",
        category="api",
        setup=("scores = {'ada': 42, 'alan': 38, 'grace': 47}\npass_mark = 50",),
        cell=_code(
            "# the best passing score, or None when nobody passed",
            "best_pass = max(s for s in scores.values() if s >= pass_mark)",
        ),
        check="assert best_pass is None, best_pass",
        solution=_code(
            "# the best passing score, or None when nobody passed",
            "best_pass = max((s for s in scores.values() if s >= pass_mark), default=None)",
        ),
    ),
    FixCase(
        id="timedelta-months",
        category="api",
        setup=("from datetime import date, timedelta\nstart = date(2024, 1, 15)",),
        cell=_code(
            "# the follow-up date: two calendar months after the start date",
            "follow_up = start + timedelta(months=2)",
        ),
        check="assert (follow_up.year, follow_up.month, follow_up.day) == (2024, 3, 15), follow_up",
        solution=_code(
            "# the follow-up date: two calendar months after the start date",
            "follow_up = start.replace(month=start.month + 2)",
        ),
    ),
    # --- pandas -------------------------------------------------------------------------------------------------
    FixCase(
        id="series-split-without-str",
        category="pandas",
        setup=(_PANDAS, "users = pd.DataFrame({'email': ['ada@math.org', 'alan@bletchley.uk', 'grace@navy.mil']})"),
        cell=_code("# the domain of each email address", "users['domain'] = users['email'].split('@')[1]"),
        check="assert users['domain'].tolist() == ['math.org', 'bletchley.uk', 'navy.mil'], users",
        solution=_code("# the domain of each email address", "users['domain'] = users['email'].str.split('@').str[1]"),
    ),
    FixCase(
        id="apply-rows-without-axis",
        category="pandas",
        setup=(_PANDAS, "orders = pd.DataFrame({'qty': [2, 1, 5], 'unit_price': [3.5, 10.0, 1.2]})"),
        cell=_code(
            "# the line total (quantity times unit price) of each order",
            "orders['total'] = orders.apply(lambda row: row['qty'] * row['unit_price'])",
        ),
        check=_code(
            "got = [float(t) for t in orders['total']]",
            "assert len(got) == 3 and all(abs(a - b) < 1e-9 for a, b in zip(got, [7.0, 10.0, 6.0])), orders",
        ),
        solution=_code(
            "# the line total (quantity times unit price) of each order",
            "orders['total'] = orders.apply(lambda row: row['qty'] * row['unit_price'], axis=1)",
        ),
    ),
    FixCase(
        id="pivot-duplicate-entries",
        category="pandas",
        setup=(
            _PANDAS,
            _code(
                "sales = pd.DataFrame({",
                "    'store': ['A', 'A', 'B', 'A', 'B'],",
                "    'month': ['jan', 'jan', 'jan', 'feb', 'feb'],",
                "    'amount': [100, 50, 80, 120, 60],",
                "})",
            ),
        ),
        cell=_code(
            "# total sales per store (rows) and month (columns)",
            "table = sales.pivot(index='store', columns='month', values='amount')",
        ),
        check=_code(
            "got = {(s, m): float(table.loc[s, m]) for s in ('A', 'B') for m in ('jan', 'feb')}",
            "assert got == {('A', 'jan'): 150, ('A', 'feb'): 120, ('B', 'jan'): 80, ('B', 'feb'): 60}, table",
        ),
        solution=_code(
            "# total sales per store (rows) and month (columns)",
            "table = sales.pivot_table(index='store', columns='month', values='amount', aggfunc='sum')",
        ),
    ),
    # --- numpy --------------------------------------------------------------------------------------------------
    FixCase(
        id="row-mean-broadcast",
        category="numpy",
        setup=(_NUMPY, "X = np.array([[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]])"),
        cell=_code("# center each row: subtract the row's own mean from it", "centered = X - X.mean(axis=1)"),
        check="assert np.allclose(centered, [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0]]), centered",
        solution=_code(
            "# center each row: subtract the row's own mean from it", "centered = X - X.mean(axis=1, keepdims=True)"
        ),
    ),
    FixCase(
        id="array-truth-value-in-function",
        category="numpy",
        setup=(_NUMPY, "z = np.array([-2.0, 0.5, -0.1, 3.0])"),
        cell=_code(
            "# ReLU activation of every element of z",
            "def relu(x):",
            "    return x if x > 0 else 0.0",
            "activations = relu(z)",
        ),
        check="assert np.allclose(np.asarray(activations, dtype=float), [0.0, 0.5, 0.0, 3.0]), activations",
        solution=_code(
            "# ReLU activation of every element of z",
            "def relu(x):",
            "    return np.maximum(x, 0.0)",
            "activations = relu(z)",
        ),
    ),
    FixCase(
        id="np-nan-alias-removed",
        category="numpy",
        setup=(_NUMPY, "readings = np.array([12.5, -1.0, 13.0, -1.0, 14.5])"),
        cell=_code(
            "# -1 means 'no reading': mark those as missing, then average the rest",
            "readings[readings == -1] = np.NaN",
            "mean_reading = np.nanmean(readings)",
        ),
        check=_code(
            "assert np.isnan(readings).tolist() == [False, True, False, True, False], readings",
            "assert abs(float(mean_reading) - 40.0 / 3) < 1e-9, mean_reading",
        ),
        solution=_code(
            "# -1 means 'no reading': mark those as missing, then average the rest",
            "readings[readings == -1] = np.nan",
            "mean_reading = np.nanmean(readings)",
        ),
    ),
    # --- root cause in another cell -----------------------------------------------------------------------------
    FixCase(
        id="set-index-hid-column",
        category="root-cause",
        setup=(
            _PANDAS,
            _code(
                "people = pd.DataFrame({'name': ['Ada', 'Alan', 'Grace'], 'age': [36, 41, 29]})",
                "people = people.set_index('name')",
            ),
        ),
        cell=_code(
            "# the names of the people older than 30",
            "older = people.loc[people['age'] > 30, 'name'].tolist()",
        ),
        check="assert list(older) == ['Ada', 'Alan'], older",
        solution=_code(
            "# the names of the people older than 30",
            "older = people[people['age'] > 30].index.tolist()",
        ),
    ),
    FixCase(
        id="map-consumed-by-sum",
        category="root-cause",
        setup=("line = '4 8 15 16 23 42'\nnumbers = map(int, line.split())", "total = sum(numbers)"),
        cell=_code("# the mean of the numbers", "mean = total / len(numbers)"),
        check="assert abs(mean - 18.0) < 1e-9, mean",
        solution=_code(
            "numbers = [int(x) for x in line.split()]",
            "# the mean of the numbers",
            "mean = total / len(numbers)",
        ),
    ),
    FixCase(
        id="dict-zip-swapped",
        category="root-cause",
        setup=("names = ['ada', 'alan', 'grace']\nages = [36, 41, 29]", "age_of = dict(zip(ages, names))"),
        cell=_code("# Ada's and Grace's ages", "pair = (age_of['ada'], age_of['grace'])"),
        check="assert tuple(int(a) for a in pair) == (36, 29), pair",
        solution=_code(
            "age_of = dict(zip(names, ages))",
            "# Ada's and Grace's ages",
            "pair = (age_of['ada'], age_of['grace'])",
        ),
    ),
)
"""The held-out benchmark: see :class:`~opencodeinterpreter_lab.fix_cases.FixCase`."""
