"""A second held-out benchmark set for the fix loop, to measure honestly whether fix-rate gains generalise.

These cases were written blind: their author did not see the fixer's prompts, hints or benchmark results, and wrote
them before any prompt change of this round. None of them re-skins a case of :data:`FIX_CASES` or
:data:`HELD_OUT_CASES` (a different error or API each time, with more of the standard library, matplotlib, dates,
JSON, regexes, files and encodings). This set must never be tuned on: do not look at its failures while changing
prompts or hints, only report its fix rate next to the other two sets.

The format and the rules are those of :class:`~opencodeinterpreter_lab.bench.fix_cases.FixCase`: deterministic setup
cells that run cleanly in a fresh kernel, a short failing cell whose intent is clear from its comment and names, a
check of the intended values (not of the code), and one reference solution (see ``tests/test_fix_cases.py``).
Matplotlib cases select the headless Agg backend in their setup; file cases write into a fresh temporary folder.

A data module: long because it holds 24 cases, not logic.
"""

from __future__ import annotations

from .fix_cases import FixCase, _code

_PANDAS = "import pandas as pd"
_NUMPY = "import numpy as np"
_PYPLOT = "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt"

HELD_OUT_2_CASES: tuple[FixCase, ...] = (
    # --- syntax -------------------------------------------------------------------------------------------------
    FixCase(
        id="else-if-instead-of-elif",
        category="syntax",
        setup=("temps = [30, 18, 4, 16, 25]",),
        cell=_code(
            "# label each temperature: above 25 is 'hot', above 15 'mild', otherwise 'cold'",
            "labels = []",
            "for t in temps:",
            "    if t > 25: labels.append('hot')",
            "    else if t > 15: labels.append('mild')",
            "    else: labels.append('cold')",
        ),
        check="assert list(labels) == ['hot', 'mild', 'cold', 'mild', 'mild'], labels",
        solution=_code(
            "# label each temperature: above 25 is 'hot', above 15 'mild', otherwise 'cold'",
            "labels = []",
            "for t in temps:",
            "    if t > 25: labels.append('hot')",
            "    elif t > 15: labels.append('mild')",
            "    else: labels.append('cold')",
        ),
    ),
    FixCase(
        id="lambda-with-return",
        category="syntax",
        setup=("products = [('pen', 1.5), ('book', 12.0), ('mug', 6.25)]",),
        cell=_code(
            "# the products sorted by price, cheapest first",
            "by_price = sorted(products, key=lambda p: return p[1])",
        ),
        check="assert [p[0] for p in by_price] == ['pen', 'mug', 'book'], by_price",
        solution=_code(
            "# the products sorted by price, cheapest first",
            "by_price = sorted(products, key=lambda p: p[1])",
        ),
    ),
    FixCase(
        id="leading-zero-int-literal",
        category="syntax",
        setup=("from datetime import date",),
        cell=_code(
            "# days from the kickoff (March 9, 2024) to the launch (June 1, 2024)",
            "kickoff = date(2024, 03, 09)",
            "launch = date(2024, 06, 01)",
            "days_to_launch = (launch - kickoff).days",
        ),
        check="assert days_to_launch == 84, days_to_launch",
        solution=_code(
            "# days from the kickoff (March 9, 2024) to the launch (June 1, 2024)",
            "kickoff = date(2024, 3, 9)",
            "launch = date(2024, 6, 1)",
            "days_to_launch = (launch - kickoff).days",
        ),
    ),
    # --- name ---------------------------------------------------------------------------------------------------
    FixCase(
        id="method-missing-self",
        category="name",
        setup=(),
        cell=_code(
            "class Rectangle:",
            "    def __init__(self, width, height):",
            "        self.width, self.height = width, height",
            "    def area(self):",
            "        return width * height",
            "areas = [Rectangle(2, 3).area(), Rectangle(4, 5).area()]",
        ),
        check="assert list(areas) == [6, 20], areas",
        solution=_code(
            "class Rectangle:",
            "    def __init__(self, width, height):",
            "        self.width, self.height = width, height",
            "    def area(self):",
            "        return self.width * self.height",
            "areas = [Rectangle(2, 3).area(), Rectangle(4, 5).area()]",
        ),
    ),
    FixCase(
        id="global-counter-unbound-local",
        category="name",
        setup=("calls = 0",),
        cell=_code(
            "# fetch three pages, counting the calls to fetch() in the global `calls`",
            "def fetch(url):",
            "    calls += 1",
            "    return f'<html of {url}>'",
            "pages = [fetch(u) for u in ['a.com', 'b.com', 'c.com']]",
        ),
        check=_code(
            "assert calls == 3, calls",
            "assert list(pages) == ['<html of a.com>', '<html of b.com>', '<html of c.com>'], pages",
        ),
        solution=_code(
            "# fetch three pages, counting the calls to fetch() in the global `calls`",
            "def fetch(url):",
            "    global calls",
            "    calls += 1",
            "    return f'<html of {url}>'",
            "pages = [fetch(u) for u in ['a.com', 'b.com', 'c.com']]",
        ),
    ),
    FixCase(
        id="except-variable-cleared",
        category="name",
        setup=("raw_values = ['12', '7', 'n/a', '30']",),
        cell=_code(
            "# parse the values, skipping bad ones; keep the message of the last parse error",
            "numbers = []",
            "for raw in raw_values:",
            "    try: numbers.append(int(raw))",
            "    except ValueError as err: pass",
            "last_error = str(err)",
        ),
        check=_code(
            "assert list(numbers) == [12, 7, 30], numbers",
            "assert last_error == \"invalid literal for int() with base 10: 'n/a'\", last_error",
        ),
        solution=_code(
            "# parse the values, skipping bad ones; keep the message of the last parse error",
            "numbers = []",
            "for raw in raw_values:",
            "    try: numbers.append(int(raw))",
            "    except ValueError as err: last_error = str(err)",
        ),
    ),
    # --- attribute ----------------------------------------------------------------------------------------------
    FixCase(
        id="subplots-unpacked-without-fig",
        category="attribute",
        setup=(_PYPLOT, "days = [1, 2, 3, 4]\nvisits = [120, 95, 143, 160]\nsignups = [8, 5, 11, 14]"),
        cell=_code(
            "# two side-by-side charts: visits on the left, signups on the right",
            "ax_left, ax_right = plt.subplots(1, 2)",
            "ax_left.plot(days, visits)",
            "ax_right.plot(days, signups)",
        ),
        check=_code(
            "from matplotlib.axes import Axes",
            "assert isinstance(ax_left, Axes) and isinstance(ax_right, Axes), (ax_left, ax_right)",
            "assert ax_left.figure is ax_right.figure, 'the two charts should share one figure'",
            "assert ax_left.get_position().x0 < ax_right.get_position().x0, 'left/right swapped'",
            "assert [list(line.get_ydata()) for line in ax_left.get_lines()] == [visits], ax_left.get_lines()",
            "assert [list(line.get_ydata()) for line in ax_right.get_lines()] == [signups], ax_right.get_lines()",
        ),
        solution=_code(
            "# two side-by-side charts: visits on the left, signups on the right",
            "fig, (ax_left, ax_right) = plt.subplots(1, 2)",
            "ax_left.plot(days, visits)",
            "ax_right.plot(days, signups)",
        ),
    ),
    FixCase(
        id="str-path-read-text",
        category="attribute",
        setup=(
            _code(
                "import os, tempfile",
                "data_dir = tempfile.mkdtemp()",
                "notes_path = os.path.join(data_dir, 'notes.txt')",
                "with open(notes_path, 'w', encoding='utf-8') as f:",
                "    f.write('buy milk\\ncall Ada\\nship v2\\n')",
            ),
        ),
        cell=_code("# the to-do items in the notes file, one per line", "todo = notes_path.read_text().splitlines()"),
        check="assert list(todo) == ['buy milk', 'call Ada', 'ship v2'], todo",
        solution=_code(
            "from pathlib import Path",
            "# the to-do items in the notes file, one per line",
            "todo = Path(notes_path).read_text().splitlines()",
        ),
    ),
    FixCase(
        id="timedelta-hours-attribute",
        category="attribute",
        setup=(
            _code(
                "from datetime import datetime",
                "shift_start = datetime(2024, 5, 6, 8, 30)",
                "shift_end = datetime(2024, 5, 6, 17, 15)",
            ),
        ),
        cell=_code("# the length of the shift in hours", "shift_hours = (shift_end - shift_start).hours"),
        check="assert abs(float(shift_hours) - 8.75) < 1e-9, shift_hours",
        solution=_code(
            "# the length of the shift in hours", "shift_hours = (shift_end - shift_start).total_seconds() / 3600"
        ),
    ),
    # --- type ---------------------------------------------------------------------------------------------------
    FixCase(
        id="naive-vs-aware-datetime",
        category="type",
        setup=(
            "from datetime import datetime, timezone",
            _code(
                "deadline = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)",
                "# submission times, recorded in UTC",
                "submitted = {",
                "    'ada': datetime(2024, 6, 1, 11, 59),",
                "    'alan': datetime(2024, 6, 1, 12, 30),",
                "    'grace': datetime(2024, 5, 30, 9, 0),",
                "}",
            ),
        ),
        cell=_code(
            "# who submitted after the deadline",
            "late = [name for name, t in submitted.items() if t > deadline]",
        ),
        check="assert list(late) == ['alan'], late",
        solution=_code(
            "# who submitted after the deadline",
            "late = [name for name, t in submitted.items() if t.replace(tzinfo=timezone.utc) > deadline]",
        ),
    ),
    FixCase(
        id="json-dumps-numpy-int",
        category="type",
        setup=(_NUMPY + "\nimport json", "ratings = np.array([4, 5, 3, 5, 4, 5])"),
        cell=_code(
            "# a JSON summary of the ratings: how many there are and the best one",
            "summary_json = json.dumps({'count': len(ratings), 'best': ratings.max()})",
        ),
        check=_code(
            "import json as _json",
            "assert isinstance(summary_json, str), type(summary_json)",
            "assert _json.loads(summary_json) == {'count': 6, 'best': 5}, summary_json",
        ),
        solution=_code(
            "# a JSON summary of the ratings: how many there are and the best one",
            "summary_json = json.dumps({'count': len(ratings), 'best': int(ratings.max())})",
        ),
    ),
    FixCase(
        id="bytes-split-with-str",
        category="type",
        setup=(
            _code(
                "# a CSV payload as received from the server (UTF-8 bytes)",
                "payload = 'name,city\\nAda,London\\nJosé,Málaga\\n'.encode('utf-8')",
            ),
        ),
        cell=_code(
            "# the city of each person (the first line is the header)",
            "lines = payload.split('\\n')",
            "cities = [line.split(',')[1] for line in lines[1:] if line]",
        ),
        check="assert cities == ['London', 'Málaga'], cities",
        solution=_code(
            "# the city of each person (the first line is the header)",
            "lines = payload.decode('utf-8').split('\\n')",
            "cities = [line.split(',')[1] for line in lines[1:] if line]",
        ),
    ),
    # --- api ----------------------------------------------------------------------------------------------------
    FixCase(
        id="seaborn-style-renamed",
        category="api",
        setup=(_PYPLOT + "\nplt.style.use('default')",),
        cell=_code(
            "# use matplotlib's seaborn look (grey background, white grid) for the charts below",
            "plt.style.use('seaborn')",
        ),
        check=_code(
            "import matplotlib as _mpl",
            "facecolor = str(_mpl.rcParams['axes.facecolor']).lower()",
            "assert facecolor == '#eaeaf2', facecolor",
            "assert _mpl.rcParams['axes.grid'], 'the grid is off'",
            "assert str(_mpl.rcParams['grid.color']).lower() in ('white', '#ffffff', 'w'), _mpl.rcParams['grid.color']",
        ),
        solution=_code(
            "# use matplotlib's seaborn look (grey background, white grid) for the charts below",
            "plt.style.use('seaborn-v0_8')",
        ),
    ),
    FixCase(
        id="regex-non-capturing-group-count",
        category="api",
        setup=("import re\nlog_line = 'user=ada action=login status=200'",),
        cell=_code(
            "# the user name and the status code from the log line",
            r"m = re.search(r'user=(\w+) action=(?:\w+) status=(\d+)', log_line)",
            "user, status = m.group(1), int(m.group(3))",
        ),
        check="assert (user, status) == ('ada', 200), (user, status)",
        solution=_code(
            "# the user name and the status code from the log line",
            r"m = re.search(r'user=(\w+) action=(?:\w+) status=(\d+)', log_line)",
            "user, status = m.group(1), int(m.group(2))",
        ),
    ),
    FixCase(
        id="open-file-in-data-folder",
        category="api",
        setup=(
            _code(
                "import os, tempfile",
                "data_dir = tempfile.mkdtemp()",
                "with open(os.path.join(data_dir, 'scores.csv'), 'w', encoding='utf-8') as f:",
                "    f.write('ada,90\\nalan,85\\ngrace,97\\n')",
            ),
        ),
        cell=_code(
            "# the best score in scores.csv (written to the data folder above)",
            "with open('scores.csv') as f:",
            "    best = max(int(line.split(',')[1]) for line in f)",
        ),
        check="assert best == 97, best",
        solution=_code(
            "# the best score in scores.csv (written to the data folder above)",
            "with open(os.path.join(data_dir, 'scores.csv')) as f:",
            "    best = max(int(line.split(',')[1]) for line in f)",
        ),
    ),
    # --- pandas -------------------------------------------------------------------------------------------------
    FixCase(
        id="groupby-mean-with-text-column",
        category="pandas",
        setup=(
            _PANDAS,
            _code(
                "results = pd.DataFrame({",
                "    'team': ['red', 'blue', 'red', 'blue'],",
                "    'player': ['ann', 'bob', 'cat', 'dan'],",
                "    'points': [10, 4, 20, 8],",
                "    'assists': [3, 1, 5, 2],",
                "})",
            ),
        ),
        cell=_code("# the average points and assists of each team", "team_avg = results.groupby('team').mean()"),
        check=_code(
            "t = team_avg.set_index('team') if 'team' in team_avg.columns else team_avg",
            "got = {k: (float(t.loc[k, 'points']), float(t.loc[k, 'assists'])) for k in ('red', 'blue')}",
            "assert got == {'red': (15.0, 4.0), 'blue': (6.0, 1.5)}, t",
        ),
        solution=_code(
            "# the average points and assists of each team",
            "team_avg = results.groupby('team')[['points', 'assists']].mean()",
        ),
    ),
    FixCase(
        id="fillna-method-removed",
        category="pandas",
        setup=(
            _PANDAS,
            "prices = pd.Series([10.0, None, None, 12.5, None, 13.0], index=pd.date_range('2024-01-01', periods=6))",
        ),
        cell=_code("# fill each missing price with the last known price", "filled = prices.fillna(method='ffill')"),
        check=_code(
            "assert [float(v) for v in filled] == [10.0, 10.0, 10.0, 12.5, 12.5, 13.0], filled",
            "assert list(filled.index) == list(prices.index), filled",
        ),
        solution=_code("# fill each missing price with the last known price", "filled = prices.ffill()"),
    ),
    FixCase(
        id="drop-column-without-axis",
        category="pandas",
        setup=(
            _PANDAS,
            "staff = pd.DataFrame({'name': ['Ada', 'Alan'], 'salary': [120, 110], 'ssn': ['123-45', '987-65']})",
        ),
        cell=_code("# the table to share, without the sensitive ssn column", "public = staff.drop('ssn')"),
        check=_code(
            "assert list(public.columns) == ['name', 'salary'], public",
            "assert public['name'].tolist() == ['Ada', 'Alan'], public",
        ),
        solution=_code("# the table to share, without the sensitive ssn column", "public = staff.drop(columns='ssn')"),
    ),
    # --- numpy --------------------------------------------------------------------------------------------------
    FixCase(
        id="lstsq-1d-features",
        category="numpy",
        setup=(
            _NUMPY,
            "# hours studied and exam score of five students\nhours = np.array([1.0, 2.0, 3.0, 4.0, 5.0])\n"
            "scores = 50 + 8 * hours",
        ),
        cell=_code(
            "# fit scores = slope * hours + intercept by least squares",
            "coef, *_ = np.linalg.lstsq(hours, scores, rcond=None)",
            "slope, intercept = coef",
        ),
        check="assert abs(float(slope) - 8.0) < 1e-6 and abs(float(intercept) - 50.0) < 1e-6, (slope, intercept)",
        solution=_code(
            "# fit scores = slope * hours + intercept by least squares",
            "X = np.column_stack([hours, np.ones_like(hours)])",
            "coef, *_ = np.linalg.lstsq(X, scores, rcond=None)",
            "slope, intercept = coef",
        ),
    ),
    FixCase(
        id="generator-randint",
        category="numpy",
        setup=(_NUMPY, "rng = np.random.default_rng(42)"),
        cell=_code(
            "# simulate 10 rolls of a six-sided die with the seeded generator", "rolls = rng.randint(1, 7, size=10)"
        ),
        check=_code(
            "import numpy as _np",
            "r = _np.asarray(rolls)",
            "assert r.shape == (10,) and set(r.tolist()) <= {1, 2, 3, 4, 5, 6} and len(set(r.tolist())) > 1, rolls",
            "assert rng.bit_generator.state != _np.random.default_rng(42).bit_generator.state, 'rng was not used'",
        ),
        solution=_code(
            "# simulate 10 rolls of a six-sided die with the seeded generator", "rolls = rng.integers(1, 7, size=10)"
        ),
    ),
    FixCase(
        id="ragged-rows-to-array",
        category="numpy",
        setup=(
            _NUMPY,
            _code(
                "# daily step counts, one list per week (the current week is not over yet)",
                "weeks = [[8000, 9000, 7500, 10000, 6000, 12000, 9500], [7000, 8500, 9000, 11000, 5000]]",
            ),
        ),
        cell=_code(
            "# the average daily steps of each week",
            "weekly_mean = np.array(weeks).mean(axis=1)",
        ),
        check="assert np.allclose(np.asarray(weekly_mean, dtype=float), [62000 / 7, 8100.0]), weekly_mean",
        solution=_code(
            "# the average daily steps of each week",
            "weekly_mean = np.array([np.mean(week) for week in weeks])",
        ),
    ),
    # --- root cause in another cell -----------------------------------------------------------------------------
    FixCase(
        id="mutable-default-argument",
        category="root-cause",
        setup=(
            _code(
                "def parse_point(text, coords=[]):",
                "    for part in text.split(','):",
                "        coords.append(float(part))",
                "    return coords",
            ),
            "origin = parse_point('0,0')",
        ),
        cell=_code(
            "# the target point, and its distance from the origin",
            "x, y = parse_point('3,4')",
            "distance = ((x - origin[0]) ** 2 + (y - origin[1]) ** 2) ** 0.5",
        ),
        check="assert (x, y) == (3.0, 4.0) and abs(distance - 5.0) < 1e-9, (x, y, distance)",
        solution=_code(
            "def parse_point(text, coords=None):",
            "    coords = [] if coords is None else coords",
            "    for part in text.split(','):",
            "        coords.append(float(part))",
            "    return coords",
            "",
            "# the target point, and its distance from the origin",
            "x, y = parse_point('3,4')",
            "distance = ((x - origin[0]) ** 2 + (y - origin[1]) ** 2) ** 0.5",
        ),
    ),
    FixCase(
        id="rename-key-case-ignored",
        category="root-cause",
        setup=(
            _PANDAS,
            _code(
                "sales = pd.DataFrame({'Region': ['north', 'south', 'north'], 'Amount': [100, 250, 75]})",
                "# tidy the column names for the report",
                "sales = sales.rename(columns={'Region': 'region', 'amount': 'revenue'})",
            ),
        ),
        cell=_code(
            "# the total revenue of each region",
            "revenue_by_region = sales.groupby('region')['revenue'].sum()",
        ),
        check=_code(
            "s = revenue_by_region",
            "if isinstance(s, pd.DataFrame):",
            "    s = (s.set_index('region') if 'region' in s.columns else s)['revenue']",
            "assert {k: int(v) for k, v in s.items()} == {'north': 175, 'south': 250}, s",
        ),
        solution=_code(
            "sales = sales.rename(columns={'Amount': 'revenue'})",
            "# the total revenue of each region",
            "revenue_by_region = sales.groupby('region')['revenue'].sum()",
        ),
    ),
    FixCase(
        id="range-one-past-the-end",
        category="root-cause",
        setup=(
            _code(
                "def daily_changes(prices):",
                '    """The change in price from each day to the next."""',
                "    return [prices[i + 1] - prices[i] for i in range(len(prices))]",
            ),
            "closing = [101.0, 103.5, 102.0, 106.0, 105.5]",
        ),
        cell=_code("# the biggest day-to-day rise of the closing price", "biggest_rise = max(daily_changes(closing))"),
        check="assert abs(float(biggest_rise) - 4.0) < 1e-9, biggest_rise",
        solution=_code(
            "def daily_changes(prices):",
            '    """The change in price from each day to the next."""',
            "    return [prices[i + 1] - prices[i] for i in range(len(prices) - 1)]",
            "",
            "# the biggest day-to-day rise of the closing price",
            "biggest_rise = max(daily_changes(closing))",
        ),
    ),
)
"""The second held-out benchmark: see :class:`~opencodeinterpreter_lab.bench.fix_cases.FixCase`."""
