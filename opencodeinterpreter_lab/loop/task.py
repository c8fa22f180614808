"""A task in the notebook: the model writes a cell, it runs, the model reads the output and goes on.

The OpenCodeInterpreter loop (``core.py``) with the task policy: a clean run does not end it; the model's output is
fed back and it continues (or fixes) until it answers without code, or after ``max_rounds`` rounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..engine.base import ChatMessage, Engine
from .core import LoopCallbacks, LoopPolicy, LoopResult, run_loop
from .execution import ExecutionResult, Executor

OUTPUT_CHARS = 1500

TASK_SYSTEM_PROMPT = (
    "You solve the user's task by running code in their Jupyter notebook ({language} kernel). Do not work results "
    "out yourself: to get any result, reply with one short sentence and one fenced code block; it is inserted as a "
    "new cell and run, and you are shown its output. The user's variables already exist in the kernel: use them, "
    "never redefine them with made-up values. Work in small steps; variables persist between cells. When the task "
    "is done, reply with the final answer in plain text, without any code block."
)
FIRST_STEP = "\n\n(Start with the code to run for the first step.)"
"""Appended to the task: small models follow an instruction next to where they answer better than a system one."""
REPEAT_REMINDER = "You just ran that code; its output is above. Go on with the next step, or give the final answer."

TaskStatus = Literal["answered", "max_rounds", "repeated"]


@dataclass
class TaskOutcome:
    status: TaskStatus
    loop: LoopResult
    answer: str
    """The final answer (the last round's text) when the model finished, else ""."""
    message: str = ""


def task_feedback(result: ExecutionResult) -> ChatMessage:
    summary = result.summary(OUTPUT_CHARS)
    if result.ok:
        return {"role": "user", "content": f"Output:\n{summary}"}
    return {"role": "user", "content": f"It failed:\n{summary}\nFix it, or change the approach."}


def task_policy(temperature: float = 0.0) -> LoopPolicy:
    return LoopPolicy(
        feedback=task_feedback,
        repeat_objection=lambda explanation: REPEAT_REMINDER,
        stop_when_passed=False,
        code_required=False,
        one_step=True,
        temperatures=(temperature,),
    )


def task_messages(conversation: Sequence[ChatMessage], language: str = "python") -> list[ChatMessage]:
    """The task system prompt, then the conversation; the user's own system prompt, if any, is appended to ours."""
    system = TASK_SYSTEM_PROMPT.format(language=language)
    if conversation and conversation[0]["role"] == "system":
        system += "\n\n" + conversation[0]["content"]
        conversation = conversation[1:]
    messages: list[ChatMessage] = [{"role": "system", "content": system}, *conversation]
    if messages[-1]["role"] == "user":
        messages[-1] = {"role": "user", "content": messages[-1]["content"] + FIRST_STEP}
    return messages


async def run_task(
    engine: Engine,
    executor: Executor,
    conversation: Sequence[ChatMessage],
    max_rounds: int = 5,
    language: str = "python",
    callbacks: LoopCallbacks | None = None,
    max_tokens: int = 768,
    temperature: float = 0.0,
) -> TaskOutcome:
    """Run the task the conversation's last message asks for. Cancel by cancelling the awaiting task."""
    loop = await run_loop(
        engine,
        executor,
        task_messages(conversation, language),
        task_policy(temperature),
        max_rounds,
        language,
        callbacks,
        max_tokens,
    )
    if loop.end == "answered":
        return TaskOutcome("answered", loop, loop.rounds[-1].answer.strip())
    if loop.end == "max_rounds":
        return TaskOutcome("max_rounds", loop, "", f"The task used its {max_rounds} rounds without finishing.")
    return TaskOutcome("repeated", loop, "", "The model kept proposing the code that had just run.")
