"""Test doubles for faults and states the real model cannot be made to produce on demand."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from opencodeinterpreter_lab.engine.base import ChatMessage, Timings, Usage


class ScriptedEngine:
    """Answers from a script: injects answers the real model cannot be made to give on demand."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.prompts: list[list[ChatMessage]] = []
        """The conversation each answer was asked for."""
        self.temperatures: list[float] = []
        """The temperature each answer was sampled at."""

    def generate(self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float) -> Any:
        self.prompts.append(list(messages))
        self.temperatures.append(temperature)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

        class Stream:
            usage = Usage(prompt_tokens=10, completion_tokens=5)
            timings = Timings(first_token_s=0.01)
            cancelled = False

            async def __aiter__(self) -> AsyncIterator[str]:
                yield answer

            def cancel(self) -> None:
                pass

        return Stream()

    async def ready(self) -> None:
        """Nothing to load: stands in for the engine the CLI builds."""

    async def close(self) -> None:
        pass


class Outbox(list[dict[str, Any]]):
    """Collects what a session sends, and lets a test wait for a message without polling."""

    def __init__(self) -> None:
        super().__init__()
        self._arrived = asyncio.Event()

    def __call__(self, message: dict[str, Any]) -> None:
        self.append(message)
        self._arrived.set()

    async def wait_for(self, message_type: str) -> dict[str, Any]:
        while not (found := [m for m in self if m["type"] == message_type]):
            self._arrived.clear()
            await self._arrived.wait()
        return found[-1]
