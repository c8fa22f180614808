"""Tasks: the model writes cells, they run, it reads the output and goes on (real model, real kernels)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from scripted import Outbox, ScriptedEngine

from opencodeinterpreter_lab.engine.llama import ChatMessage, LlamaEngine
from opencodeinterpreter_lab.loop.execution import KernelExecutor
from opencodeinterpreter_lab.loop.task import run_task
from opencodeinterpreter_lab.server.session import ChatSession, GenerationDefaults

# The task is about the user's data, which the model cannot know without running code.
READINGS = "import random\nrandom.seed(7)\nreadings = [random.randint(0, 1000) for _ in range(50)]"
LARGEST: list[ChatMessage] = [
    {"role": "user", "content": "What is the largest value in the list readings in my notebook, and at which index?"}
]


async def test_a_task_runs_its_code_reads_the_output_and_answers(engine: LlamaEngine) -> None:
    async with KernelExecutor(timeout=30) as kernel:
        await kernel.execute(READINGS)
        outcome = await run_task(engine, kernel, LARGEST, max_rounds=4)
        runs = [r for r in outcome.loop.rounds if r.result is not None]
        assert runs, "the model ran code"
        assert any(r.result is not None and r.result.ok and "999" in r.result.summary() for r in runs)
        assert outcome.status == "answered", outcome
        assert "999" in outcome.answer and "40" in outcome.answer
        assert "```" not in outcome.answer


def code(source: str) -> str:
    return f"Next step.\n```python\n{source}\n```"


@pytest.mark.parametrize(
    ("failing", "reported"),
    [
        ("1 / 0", "ZeroDivisionError"),
        ("import os; os._exit(1)", "kernel died"),
        ("while True: pass", "longer than 3 s"),
        ("input('name? ')", "StdinNotImplementedError"),
    ],
)
async def test_a_failing_step_is_reported_to_the_model_and_the_task_goes_on(failing: str, reported: str) -> None:
    engine: Any = ScriptedEngine(code(failing), code("print(6 * 7)"), "The answer is 42.")
    async with KernelExecutor(timeout=3) as kernel:
        outcome = await run_task(engine, kernel, LARGEST, max_rounds=5)
    assert outcome.status == "answered"
    assert outcome.answer == "The answer is 42."
    first, second = (r.result for r in outcome.loop.rounds[:2])
    assert first is not None and not first.ok
    assert second is not None and second.ok and second.summary() == "42"
    assert reported in engine.prompts[1][-1]["content"], "the failure went back to the model"
    assert engine.prompts[2][-1]["content"] == "Output:\n42"


async def test_code_that_just_ran_is_not_run_again_and_rounds_are_bounded() -> None:
    engine: Any = ScriptedEngine(code("print(1)"))
    async with KernelExecutor(timeout=10) as kernel:
        outcome = await run_task(engine, kernel, LARGEST, max_rounds=3)
    assert [r.result is not None for r in outcome.loop.rounds] == [True, False, False]
    assert outcome.status == "repeated"
    assert outcome.message
    engine = ScriptedEngine(code("x = 1"), code("x += 1"), code("x *= 3"))
    async with KernelExecutor(timeout=10) as kernel:
        outcome = await run_task(engine, kernel, LARGEST, max_rounds=3)
    assert outcome.status == "max_rounds"
    assert len(outcome.loop.rounds) == 3


# ---- over the WebSocket, as the panel drives it ----------------------------------------------------------------


@pytest.mark.usefixtures("shared_engine")
async def test_the_panel_protocol_runs_a_task_in_the_clients_kernel(connect: Any) -> None:
    client = await connect()
    proposals = []
    async with KernelExecutor(timeout=30) as kernel:  # plays the user's live kernel
        await kernel.execute(READINGS)
        await client.send({"type": "task", "id": "t1", "messages": LARGEST, "max_rounds": 4, "temperature": 0})
        while True:
            message = await client.receive()
            if message.get("id") != "t1":
                continue
            if message["type"] == "token":
                assert message["round"] >= 1
            elif message["type"] == "proposal":
                proposals.append(message)
                result = await kernel.execute(message["code"])
                await client.send(
                    {
                        "type": "execution_result",
                        "id": "t1",
                        "round": message["round"],
                        "status": result.status,
                        "outputs": result.outputs,
                    }
                )
            else:
                break
    assert message["type"] == "done", message
    assert proposals
    outcome = message["outcome"]
    assert outcome["status"] == "answered"
    assert "999" in outcome["answer"]
    assert outcome["rounds"] == len(proposals) + 1


async def test_a_task_waiting_for_consent_is_cancelled_by_stop() -> None:
    sent = Outbox()
    engine: Any = ScriptedEngine(code("print(1)"))
    session = ChatSession(engine, GenerationDefaults(), sent)
    session.handle(json.dumps({"type": "task", "id": "t", "messages": LARGEST}))
    await sent.wait_for("proposal")
    session.handle(json.dumps({"type": "cancel", "id": "t"}))
    done = await sent.wait_for("done")
    assert done["cancelled"] is True


@pytest.mark.parametrize(
    "message",
    [
        {"type": "task", "id": "t", "messages": []},
        {"type": "task", "id": "t", "messages": LARGEST, "max_rounds": 0},
        {"type": "task", "id": "t", "messages": LARGEST, "max_rounds": 21},
        {"type": "task", "id": "t", "messages": [{"role": "robot", "content": "hi"}]},
    ],
)
async def test_malformed_tasks_are_refused_with_a_clear_error(message: dict[str, Any]) -> None:
    sent = Outbox()
    session = ChatSession(ScriptedEngine("unused"), GenerationDefaults(), sent)  # type: ignore[arg-type]
    session.handle(json.dumps(message))
    error = await sent.wait_for("error")
    assert error["id"] == "t"
    assert error["message"].startswith("Invalid task message")


async def test_a_task_step_ends_at_its_first_code_block_and_imagined_output_is_not_run() -> None:
    imagined = "Counting.\n```python\nprint(len(readings))\n```\nOutput:\n```python\n50\n```\nSo 50."
    engine: Any = ScriptedEngine(imagined, "There are 50 readings.")
    async with KernelExecutor(timeout=10) as kernel:
        await kernel.execute(READINGS)
        outcome = await run_task(engine, kernel, LARGEST, max_rounds=3)
    first = outcome.loop.rounds[0]
    assert first.code == "print(len(readings))"
    assert first.answer == "Counting.\n```python\nprint(len(readings))\n```"
    assert engine.prompts[1][-2] == {"role": "assistant", "content": first.answer}
    assert outcome.answer == "There are 50 readings."
