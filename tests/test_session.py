"""One connection's requests on the session object, with a scripted engine: validation and the error boundary
(the real model and socket run the same paths in test_chat.py and test_fix.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from scripted import Outbox, ScriptedEngine

from opencodeinterpreter_lab.server.session import ChatSession, GenerationDefaults

FAILED = [{"output_type": "error", "ename": "E", "evalue": "", "traceback": []}]


@pytest.mark.parametrize(
    ("raw", "expected_id", "expected"),
    [
        ("{not json", None, "Malformed JSON"),
        ("[1, 2]", None, "JSON object"),
        (json.dumps({"type": "shout", "id": "x"}), "x", "Unknown message type"),
        (json.dumps({"type": "chat", "messages": [{"role": "user", "content": "hi"}]}), None, "id"),
        (json.dumps({"type": "chat", "id": "m", "messages": "hi"}), "m", "messages"),
        (
            json.dumps({"type": "chat", "id": "r", "messages": [{"role": "robot", "content": "hi"}]}),
            "r",
            "role",
        ),
        (json.dumps({"type": "chat", "id": "c", "messages": [{"role": "user"}]}), "c", "content"),
        (json.dumps({"type": "chat", "id": "e", "messages": []}), "e", "messages"),
        (
            json.dumps({"type": "chat", "id": "t", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0}),
            "t",
            "max_tokens",
        ),
        (json.dumps({"type": "fix", "id": "f", "cell": {"source": "x"}}), "f", "outputs"),
        (json.dumps({"type": "task", "id": "k", "messages": [], "max_rounds": 99}), "k", "max_rounds"),
    ],
)
async def test_bad_messages_get_a_clear_error_and_the_session_keeps_serving(
    raw: str, expected_id: str | None, expected: str
) -> None:
    sent = Outbox()
    session = ChatSession(ScriptedEngine("OK"), GenerationDefaults(), sent)
    session.handle(raw)
    (error,) = sent
    assert error["type"] == "error"
    assert error["id"] == expected_id
    assert expected in error["message"]
    session.handle(json.dumps({"type": "chat", "id": "ok", "messages": [{"role": "user", "content": "Say OK."}]}))
    assert (await sent.wait_for("done"))["id"] == "ok"


async def test_whatever_a_request_raises_it_ends_with_an_error_and_the_session_goes_on() -> None:
    sent = Outbox()
    engine: Any = ScriptedEngine("Here.\n```python\nx = 1\n```")
    session = ChatSession(engine, GenerationDefaults(), sent)
    deep = "x = " + "+".join(["1"] * 3000)
    session.handle(json.dumps({"type": "fix", "id": "deep", "cell": {"source": deep, "outputs": FAILED}}))
    session.handle(json.dumps({"type": "fix", "id": "next", "cell": {"source": "x = y", "outputs": FAILED}}))
    await sent.wait_for("proposal")
    ends = [m for m in sent if m["type"] in ("done", "error") and m["id"] == "deep"]
    assert len(ends) <= 1

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    engine.generate = boom
    session.handle(json.dumps({"type": "chat", "id": "c", "messages": [{"role": "user", "content": "hi"}]}))
    error = await sent.wait_for("error")
    assert error["id"] == "c" and "RuntimeError: a bug" in error["message"]
    session.close()
