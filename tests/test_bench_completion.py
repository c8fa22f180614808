"""The completion benchmarks' pure parts: the single-line infilling cases and the typing simulation's requests."""

from __future__ import annotations

from opencodeinterpreter_lab.bench.completion import NEW_CELL, NOTEBOOK, pause_points, pick_evenly, typing_requests
from opencodeinterpreter_lab.bench.humaneval import load_problems
from opencodeinterpreter_lab.bench.infill import fillable_lines, filled_program, infill_cases, p90, spread

PROBLEM = {
    "task_id": "Toy/0",
    "prompt": 'def f(x):\n    """Twice x, plus one."""\n',
    "canonical_solution": "    y = x * 2\n\n    return y + 1\n",
    "entry_point": "f",
    "test": "def check(candidate):\n    assert candidate(1) == 3\n",
}


def test_each_non_blank_line_is_masked_whole_between_everything_before_and_after_it() -> None:
    first, second = infill_cases(PROBLEM)
    assert (first.line, first.expected) == (0, "    y = x * 2")
    assert first.prefix == PROBLEM["prompt"]
    assert first.suffix == "\n    return y + 1\n"
    assert (second.line, second.expected) == (2, "    return y + 1")
    assert second.prefix == PROBLEM["prompt"] + "    y = x * 2\n\n"
    assert second.suffix == ""
    for case in (first, second):
        assert filled_program(case, case.expected) == PROBLEM["prompt"] + PROBLEM["canonical_solution"]


def test_all_of_humaneval_gives_the_published_1033_single_line_tasks() -> None:
    assert sum(len(infill_cases(problem)) for problem in load_problems()) == 1033


def test_lines_per_problem_picks_evenly_spaced_lines_deterministically() -> None:
    assert spread([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 2) == [2, 7]
    assert spread([0, 1, 2], 1) == [1]
    assert spread([0, 2, 3], 5) == [0, 2, 3]
    assert spread([0, 2, 3], None) == [0, 2, 3]
    assert fillable_lines("a\n\n  \nb\n") == [0, 3]
    assert [c.line for c in infill_cases(PROBLEM, 1)] == [2]


def test_a_typist_pauses_after_each_word() -> None:
    text = 'df = pd.read_csv("a.csv")\n'
    prefixes = [text[:end] for end in pause_points(text)]
    assert prefixes == ["df", "df = pd", "df = pd.read_csv", 'df = pd.read_csv("a', 'df = pd.read_csv("a.csv']


def test_the_requests_are_evenly_spaced_pauses_ending_with_the_whole_cell() -> None:
    assert pick_evenly([1, 2, 3, 4, 5, 6], 3) == [2, 4, 6]
    assert pick_evenly([1, 2], 5) == [1, 2]
    requests = typing_requests(NOTEBOOK, NEW_CELL, 10)
    assert len(requests) == 10
    prefixes = [r.prefix for r in requests]
    assert all(NEW_CELL.startswith(p) for p in prefixes)
    assert prefixes == sorted(prefixes, key=len) and len(set(prefixes)) == 10
    assert prefixes[-1] == NEW_CELL[: NEW_CELL.rindex("revenue") + len("revenue")]  # the last word typed
    assert all(r.suffix == "" and r.cells_above == NOTEBOOK for r in requests)


def test_p90_is_the_nearest_rank() -> None:
    assert p90([3.0]) == 3.0
    assert p90([float(i) for i in range(1, 11)]) == 9.0
    assert p90([float(i) for i in range(1, 21)]) == 18.0
