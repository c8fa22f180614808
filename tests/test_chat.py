"""The chat WebSocket and status routes against the real extension and the real embedded model."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from opencodeinterpreter_lab.engine.llama import Generation, LlamaEngine

pytestmark = pytest.mark.usefixtures("shared_engine")


async def test_status_reports_the_loaded_model(jp_fetch: Any) -> None:
    response = await jp_fetch("api", "opencodeinterpreter", "status")
    status = json.loads(response.body)
    assert status["state"] == "ready"
    assert status["model"] == "Qwen2.5-Coder-1.5B-Instruct Q4_K_M"
    assert status["source"] == "embedded"
    assert status["n_ctx"] == 8192
    assert status["n_threads"] >= 1
    assert status["n_gpu_layers"] == 0
    assert isinstance(status["gpu_offload"], bool)


async def test_load_is_idempotent_once_ready(jp_fetch: Any) -> None:
    response = await jp_fetch("api", "opencodeinterpreter", "load", method="POST", body="")
    assert response.code == 202
    assert json.loads(response.body)["state"] == "ready"


async def test_streams_a_real_answer(connect: Any) -> None:
    client = await connect()
    hello = await client.receive()
    assert hello["type"] == "status"
    assert hello["status"]["state"] == "ready"

    prompt = "Write a Python expression that reverses the string s. Only the code."
    await client.chat("q1", prompt, max_tokens=40, temperature=0)  # greedy: the same answer every run
    pieces: list[str] = []
    while True:
        message = await client.receive()
        assert message["id"] == "q1"
        if message["type"] != "token":
            break
        pieces.append(message["text"])
    assert message["type"] == "done", message
    assert message["cancelled"] is False
    assert len(pieces) > 1, "the answer should arrive in several pieces"
    assert "[::-1]" in "".join(pieces)
    usage = message["usage"]
    assert usage["prompt_tokens"] > 10
    assert 1 < usage["completion_tokens"] <= 40
    assert message["timings"]["tokens_per_second"] > 0


async def test_cancel_stops_within_a_token(connect: Any) -> None:
    client = await connect()
    await client.chat("long", "Write a 500-word essay about the history of Python.", max_tokens=500)
    while (await client.receive())["type"] != "token":
        pass
    await client.send({"type": "cancel", "id": "long"})
    _, end = await client.receive_until_end("long")
    assert end["type"] == "done"
    assert end["cancelled"] is True
    assert 1 <= end["usage"]["completion_tokens"] < 500, "it stopped after its first token, before its end"


async def test_cancel_of_an_unknown_id_is_harmless(connect: Any) -> None:
    client = await connect()
    await client.receive()  # status
    await client.send({"type": "cancel", "id": "never-sent"})
    await client.chat("after", "Say OK.", max_tokens=4)
    _, end = await client.receive_until_end("after")
    assert end["type"] == "done"


async def test_concurrent_chats_are_served_first_in_first_out(connect: Any) -> None:
    client = await connect()
    await client.chat("first", "Name a Python keyword. One word.", max_tokens=8)
    await client.chat("second", "Name a prime number. One number.", max_tokens=8)
    order: list[str] = []
    ended: dict[str, dict[str, Any]] = {}
    while len(ended) < 2:
        message = await client.receive()
        if message["type"] == "token":
            order.append(message["id"])
        elif message["type"] in ("done", "error"):
            ended[message["id"]] = message
    assert ended["first"]["type"] == ended["second"]["type"] == "done"
    assert order.count("first") >= 1 and order.count("second") >= 1
    assert order.index("second") > len(order) - 1 - order[::-1].index("first"), "streams must not interleave"


async def test_two_connections_both_complete(connect: Any) -> None:
    a, b = await connect(), await connect()
    await a.chat("a", "Say yes.", max_tokens=4)
    await b.chat("b", "Say no.", max_tokens=4)
    (_, end_a), (_, end_b) = await asyncio.gather(a.receive_until_end("a"), b.receive_until_end("b"))
    assert end_a["type"] == end_b["type"] == "done"


async def test_a_bad_message_over_the_socket_leaves_it_serving(connect: Any) -> None:
    client = await connect()
    await client.receive()  # status
    await client.send("{not json")
    error = await client.receive()
    assert error == {"type": "error", "id": None, "message": error["message"]}
    assert "Malformed JSON" in error["message"]
    await client.chat("ok", "Say OK.", max_tokens=4)
    _, end = await client.receive_until_end("ok")
    assert end["type"] == "done"


async def test_a_duplicate_id_in_flight_is_refused(connect: Any) -> None:
    client = await connect()
    await client.chat("same", "Count from 1 to 20.", max_tokens=60)
    await client.chat("same", "Say hi.", max_tokens=4)
    messages = []
    while True:
        message = await client.receive()
        messages.append(message)
        if message["type"] == "done":
            break
    errors = [m for m in messages if m["type"] == "error"]
    assert len(errors) == 1 and "already in flight" in errors[0]["message"]


async def test_a_prompt_longer_than_the_context_is_refused(connect: Any) -> None:
    client = await connect()
    await client.chat("huge", "word " * 10_000, max_tokens=8)
    _, end = await client.receive_until_end("huge")
    assert end["type"] == "error"
    assert "context holds 8192" in end["message"]
    await client.chat("next", "Say OK.", max_tokens=4)
    _, end = await client.receive_until_end("next")
    assert end["type"] == "done"


async def test_a_client_that_disconnects_mid_stream_stops_its_generation(
    connect: Any, engine: LlamaEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Generation] = []
    generate = engine.generate

    def recording(*args: Any, **kwargs: Any) -> Generation:
        started.append(generate(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(engine, "generate", recording)
    client = await connect()
    await client.chat("gone", "Write a 500-word essay about compilers.", max_tokens=500)
    while (await client.receive())["type"] != "token":
        pass
    (abandoned,) = started
    client.ws.close()
    await asyncio.wait_for(abandoned.finished(), 120)
    assert abandoned.cancelled
    assert abandoned.usage.completion_tokens < 500, "it stopped before its end"

    again = await connect()
    await again.chat("next", "Say OK.", max_tokens=4)
    _, end = await again.receive_until_end("next")
    assert end["type"] == "done"


async def test_unauthenticated_requests_are_refused(jp_fetch: Any, jp_ws_fetch: Any) -> None:
    for method, route in (("GET", "status"), ("POST", "load")):
        with pytest.raises(HTTPClientError) as refused:
            await jp_fetch(
                "api",
                "opencodeinterpreter",
                route,
                method=method,
                headers={"Authorization": ""},
                **({"body": ""} if method == "POST" else {}),
            )
        assert refused.value.code == 403
    with pytest.raises(HTTPClientError) as refused:
        await jp_ws_fetch("api", "opencodeinterpreter", "chat", headers={"Authorization": ""})
    assert refused.value.code == 403
