"""The HumanEval benchmark: the sandboxed scorer, the self-test kernel, and the command in each mode."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from opencodeinterpreter_lab import cli
from opencodeinterpreter_lab.bench.humaneval import (
    MODES,
    SelfTests,
    definitions_only,
    load_problems,
    score_code,
    solution_program,
)
from opencodeinterpreter_lab.bench.sandbox import score
from opencodeinterpreter_lab.loop.execution import KernelExecutor

PROBLEMS = load_problems(limit=3)


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p["task_id"])
async def test_the_scorer_passes_canonical_solutions_and_fails_empty_ones(problem: dict[str, Any]) -> None:
    canonical = await score(problem["prompt"] + problem["canonical_solution"], problem["test"], problem["entry_point"])
    assert canonical.passed, canonical
    empty = await score_code(problem, None)
    assert empty.status == "failed"


async def test_a_failing_solution_is_described_by_its_input_expected_and_actual_values() -> None:
    verdict = await score_code(PROBLEMS[0], "def has_close_elements(numbers, threshold):\n    return True")
    assert verdict.status == "failed"
    assert verdict.detail.startswith(
        "Input: candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.05)\nExpected: False\nGot: True"
    )


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ("while True: pass", "timeout", "longer than 2 s"),
        ("x = [0] * 10**10", "memory", "memory"),
        ("return input()", "failed", "EOFError"),
        ("import os; os._exit(3)", "crashed", "exit code 3"),
        ("import ctypes; ctypes.string_at(0)", "crashed", "exit code -11"),
    ],
)
async def test_runaway_solutions_are_bounded_and_reported(body: str, status: str, detail: str) -> None:
    program = f"def has_close_elements(numbers, threshold):\n    {body}\n"
    verdict = await score(program, PROBLEMS[0]["test"], "has_close_elements", timeout=2, memory_mb=512)
    assert verdict.status == status
    assert detail in verdict.detail


def test_answers_become_programs_without_their_asserts_and_prints() -> None:
    answer = "import math\n\n@staticmethod\ndef f(x):\n    return x\n\nassert f(1) == 1\nprint(f(2))\nf(3)"
    assert definitions_only(answer) == "import math\n@staticmethod\ndef f(x):\n    return x"
    problem = {"prompt": "def g(x):\n    '''Double.'''\n", "entry_point": "g"}
    assert solution_program(problem, "def g(x):\n    return 2 * x\nassert g(1) == 2").endswith(
        "\n\ndef g(x):\n    return 2 * x\n"
    )
    assert solution_program(problem, "return 2 * x") == problem["prompt"] + "    return 2 * x\n", "a body only"


async def test_self_tests_run_the_docstring_examples_and_survive_faults() -> None:
    problem = PROBLEMS[0]
    async with KernelExecutor(timeout=3, memory_limit_mb=512) as kernel:
        tests = SelfTests(kernel, problem)
        assert (await tests.execute(problem["prompt"] + problem["canonical_solution"])).ok
        wrong = await tests.execute("def has_close_elements(numbers, threshold):\n    return False")
        assert wrong.status == "error"
        assert "Failed example" in wrong.summary() and "Expected:\n    True\nGot:\n    False" in wrong.summary()
        assert (await tests.execute("x = bytearray(2**31)")).error.ename == "MemoryError"  # type: ignore[union-attr]
        assert (await tests.execute("input()")).status == "error"
        assert (await tests.execute("while True: pass")).status == "timeout"
        assert (await tests.execute("import os; os._exit(1)")).status == "dead"
        assert (await tests.execute(problem["prompt"] + problem["canonical_solution"])).ok, "a new kernel took over"


@pytest.mark.parametrize("mode", MODES)
def test_the_command_scores_three_problems_in_each_mode(
    engine: Any, mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class SharedEngine:  # the session's loaded model, which the command must not close
        def __getattr__(self, name: str) -> Any:
            return getattr(engine, name)

        async def close(self) -> None:
            pass

    monkeypatch.setattr(cli, "_engine", lambda args: SharedEngine())
    output = tmp_path / "results.jsonl"
    assert (
        cli.main(["bench", "humaneval", "--mode", mode, "--stride", "4", "--limit", "3", "--output", str(output)]) == 0
    )
    results = [json.loads(line) for line in output.read_text().splitlines()]
    assert [r["task_id"] for r in results] == ["HumanEval/0", "HumanEval/4", "HumanEval/8"]
    for result in results:
        assert result["mode"] == mode
        assert result["status"] in ("passed", "failed", "timeout", "memory", "crashed")
        assert result["passed"] == (result["status"] == "passed")
        assert 1 <= result["rounds"] <= (1 if mode == "single" else 3)
        assert result["completion_tokens"] > 0
    passed = sum(r["passed"] for r in results)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(rf"pass@1 {mode} \d\.\d{{3}} \(\d/3\)", last)
    assert last == f"pass@1 {mode} {passed / 3:.3f} ({passed}/3)"
