"""The remote engine against a real OpenAI-compatible server (llama_cpp.server with the 0.5B model) on loopback.

Every path the in-process engine serves runs here too (chat over the WebSocket, a fix and a task in a real kernel,
the headless fixer), and so do the remote faults: a server killed mid-stream, unreachable, a wrong key, an unknown
model, a cancelled stream, concurrent chats, answers that are not the OpenAI API, and refused configurations.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from model_server import API_KEY, ModelServer, free_port, small_model_path

from opencodeinterpreter_lab import cli
from opencodeinterpreter_lab.engine.base import EngineError
from opencodeinterpreter_lab.engine.remote import RemoteConfig, RemoteEngine
from opencodeinterpreter_lab.loop.execution import KernelExecutor
from opencodeinterpreter_lab.loop.fixer import FixTask, fix_cell
from opencodeinterpreter_lab.loop.task import run_task
from opencodeinterpreter_lab.server.app import OpenCodeInterpreter

LONG_ANSWER = "Count from 1 to 300, separated by commas, nothing else."


@pytest.fixture
def extension_config(model_server: ModelServer) -> dict[str, Any]:
    return {"base_url": model_server.base_url, "api_key": API_KEY}


def remote(server: ModelServer | None = None, **config: Any) -> RemoteEngine:
    base_url = server.base_url if server else f"http://127.0.0.1:{free_port()}/v1"
    return RemoteEngine(RemoteConfig(base_url, **{"api_key": API_KEY, **config}))


async def status_of(jp_fetch: Any, route: str = "status") -> dict[str, Any]:
    response = await jp_fetch(
        "api", "opencodeinterpreter", route, **({"method": "POST", "body": b""} if route == "load" else {})
    )
    data: dict[str, Any] = json.loads(response.body)
    return data


# ---- every path, on the remote engine ------------------------------------------------------------------------------
async def test_a_chat_streams_from_the_remote_server_and_the_status_names_it(
    jp_fetch: Any, connect: Any, model_server: ModelServer, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await status_of(jp_fetch, "load"))["source"] == "remote"
    client = await connect()
    await client.chat("c1", "Say hello in one word.", max_tokens=16, temperature=0)
    text, end = await client.receive_until_end("c1")
    assert end["type"] == "done", end
    assert text.strip()
    assert end["usage"]["completion_tokens"] > 0
    status = await status_of(jp_fetch)
    assert status["state"] == "ready"
    assert status["model"] == "small-coder"
    assert status["endpoint"] == model_server.base_url
    assert status["n_ctx"] > 0
    assert API_KEY not in json.dumps(status)  # never sent to the browser
    assert API_KEY not in caplog.text  # nor logged


async def test_a_fix_on_the_remote_engine_passes_in_a_real_kernel(model_server: ModelServer) -> None:
    engine = remote(model_server)
    async with KernelExecutor(timeout=30) as kernel:
        cell = 'words = ["a", "b"]\nprint(len(word))'
        failure = await kernel.execute(cell)
        assert failure.status == "error"
        outcome = await fix_cell(engine, kernel, FixTask(cell, failure, []))
        assert outcome.status == "fixed", outcome
        assert outcome.rounds[-1].result is not None
        assert "2" in outcome.rounds[-1].result.summary()
    await engine.close()


async def test_a_task_on_the_remote_engine_runs_its_code_in_a_real_kernel(model_server: ModelServer) -> None:
    engine = remote(model_server)
    async with KernelExecutor(timeout=30) as kernel:
        ask = [{"role": "user", "content": "Compute 17 * 23 with Python and print the result."}]
        outcome = await run_task(engine, kernel, ask, max_rounds=2)  # type: ignore[arg-type]
        runs = [r.result for r in outcome.loop.rounds if r.result is not None]
        assert any(result.ok and "391" in result.summary() for result in runs), outcome
    await engine.close()


def test_the_headless_fixer_uses_the_remote_engine(
    tmp_path: Path, model_server: ModelServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENCODEINTERPRETER_API_KEY", API_KEY)
    notebook = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    notebook.cells = [nbformat.v4.new_code_cell('words = ["a", "b"]\nprint(len(word))')]  # type: ignore[no-untyped-call]
    source = tmp_path / "broken.ipynb"
    nbformat.write(notebook, source)  # type: ignore[no-untyped-call]
    assert cli.main(["fix", str(source), "--base-url", model_server.base_url]) == 0, capsys.readouterr().out
    fixed = nbformat.read(tmp_path / "broken.fixed.ipynb", as_version=4)  # type: ignore[no-untyped-call]
    assert "len(words)" in fixed.cells[0].source


async def test_eight_concurrent_chats_from_eight_connections_all_complete(connect: Any) -> None:
    clients = [await connect() for _ in range(8)]
    for n, client in enumerate(clients):
        await client.chat(f"c{n}", f"What is {n} + {n}? Answer with the number only.", max_tokens=8, temperature=0)
    ends = await asyncio.gather(*(client.receive_until_end(f"c{n}") for n, client in enumerate(clients)))
    assert [end["type"] for _, end in ends] == ["done"] * 8, [end for _, end in ends]
    assert all(text.strip() for text, _ in ends)


# ---- faults ---------------------------------------------------------------------------------------------------------
@pytest.fixture
def own_server() -> Iterator[ModelServer]:
    """A model server of this test's own, to kill."""
    server = ModelServer(small_model_path())
    yield server
    server.stop()


async def test_a_server_killed_mid_stream_is_an_error_for_that_request_and_the_connection_lives_on(
    connect: Any, assistant: OpenCodeInterpreter, own_server: ModelServer
) -> None:
    assistant.engine = remote(own_server)
    client = await connect()
    await client.chat("long", LONG_ANSWER, max_tokens=600, temperature=0)
    while (await client.receive())["type"] != "token":
        pass
    own_server.kill()
    _, end = await client.receive_until_end("long")
    assert end["type"] == "error"
    assert own_server.base_url in end["message"]
    assert assistant.engine.status.state == "error"
    await client.chat("after", "Hello?")
    _, end = await client.receive_until_end("after")
    assert end["type"] == "error"
    assert "Cannot reach the model server" in end["message"]


@pytest.mark.parametrize(
    ("engine_config", "reason"),
    [
        ({}, "Cannot reach the model server"),
        ({"api_key": "wrong"}, "refused the API key (HTTP 401)"),
        ({"model": "no-such-model"}, "has no model named 'no-such-model'; it serves: small-coder"),
    ],
)
async def test_a_remote_that_cannot_serve_is_named_in_one_sentence(
    jp_fetch: Any,
    connect: Any,
    assistant: OpenCodeInterpreter,
    model_server: ModelServer,
    engine_config: dict[str, Any],
    reason: str,
) -> None:
    assistant.engine = remote(model_server if engine_config else None, **engine_config)
    client = await connect()
    await client.chat("c1", "Hello?")
    _, end = await client.receive_until_end("c1")
    assert end["type"] == "error"
    assert reason in end["message"]
    status = await status_of(jp_fetch)
    assert status["state"] == "error"
    assert reason in status["message"]


async def test_a_cancelled_generation_closes_the_remote_stream(own_server: ModelServer) -> None:
    engine = remote(own_server)
    generation = engine.generate([{"role": "user", "content": LONG_ANSWER}], max_tokens=600, temperature=0)
    pieces = 0
    async for _ in generation:
        pieces += 1
        if pieces == 3:
            generation.cancel()
    await generation.finished()
    assert generation.cancelled
    for _ in range(100):  # the server notices the closed stream and stops generating
        if "Disconnected from client" in own_server.log:
            break
        await asyncio.sleep(0.1)
    assert "Disconnected from client" in own_server.log
    await engine.close()


async def test_closing_the_browser_tab_closes_the_remote_stream(
    connect: Any, assistant: OpenCodeInterpreter, own_server: ModelServer
) -> None:
    assistant.engine = remote(own_server)
    client = await connect()
    await client.chat("long", LONG_ANSWER, max_tokens=600, temperature=0)
    while (await client.receive())["type"] != "token":
        pass
    client.ws.close()
    for _ in range(100):
        if "Disconnected from client" in own_server.log:
            break
        await asyncio.sleep(0.1)
    assert "Disconnected from client" in own_server.log


async def test_a_conversation_longer_than_the_servers_context_is_named(model_server: ModelServer) -> None:
    engine = remote(model_server)
    generation = engine.generate([{"role": "user", "content": "word " * 6000}], max_tokens=8, temperature=0)
    with pytest.raises(EngineError, match="longer than its context"):
        _ = [piece async for piece in generation]
    await engine.close()


class _NotOpenAI(http.server.BaseHTTPRequestHandler):
    """Answers every request with a fixed body: a web page, or JSON of another shape."""

    body = b"<html><body>It works!</body></html>"
    content_type = "text/html"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.end_headers()
        self.wfile.write(self.body)

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        pass


class _OtherJson(_NotOpenAI):
    body = b'{"data": 5}'
    content_type = "application/json"


class _FailsMidStream(_NotOpenAI):
    """A server that lists a model, then answers a chat with one piece and an error event (as vLLM does on a fault)."""

    def do_GET(self) -> None:
        self._send("application/json", b'{"object": "list", "data": [{"id": "m", "object": "model"}]}')

    def do_POST(self) -> None:
        piece = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
                 "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]}  # fmt: skip
        events = f"data: {json.dumps(piece)}\n\n" + 'data: {"error": {"message": "CUDA out of memory"}}\n\n'
        self._send("text/event-stream", events.encode())

    def _send(self, content_type: str, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


async def test_a_server_error_mid_stream_is_named_after_the_text_already_sent() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FailsMidStream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    engine = RemoteEngine(RemoteConfig(f"http://127.0.0.1:{server.server_address[1]}/v1"))
    pieces: list[str] = []

    async def listen() -> None:
        async for piece in engine.generate([{"role": "user", "content": "hi"}], max_tokens=8, temperature=0):
            pieces.append(piece)

    try:
        with pytest.raises(EngineError, match="failed mid-answer: CUDA out of memory"):
            await listen()
        assert pieces == ["Hel"]
    finally:
        server.shutdown()
        await engine.close()


class _Silent(_FailsMidStream):
    """Lists a model, then never answers a chat."""

    def do_POST(self) -> None:
        time.sleep(3)


async def test_a_server_that_does_not_answer_in_time_is_named() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Silent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    engine = RemoteEngine(RemoteConfig(f"http://127.0.0.1:{server.server_address[1]}/v1", timeout=0.5))
    generation = engine.generate([{"role": "user", "content": "hi"}], max_tokens=8, temperature=0)
    try:
        with pytest.raises(EngineError, match=r"No answer from the model server at .* within 0.5 s"):
            _ = [piece async for piece in generation]
        assert engine.status.state == "error"
    finally:
        server.shutdown()
        await engine.close()


@pytest.mark.parametrize("handler", [_NotOpenAI, _OtherJson])
async def test_a_server_that_does_not_speak_the_openai_api_gets_a_clear_error(
    handler: type[http.server.BaseHTTPRequestHandler],
) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    engine = RemoteEngine(RemoteConfig(f"http://127.0.0.1:{server.server_address[1]}/v1"))
    try:
        with pytest.raises(EngineError, match="answered something unlike the OpenAI API"):
            await engine.ready()
        generation = engine.generate([{"role": "user", "content": "hi"}], max_tokens=8, temperature=0)
        with pytest.raises(EngineError, match="unlike the OpenAI API"):
            _ = [piece async for piece in generation]
    finally:
        server.shutdown()
        await engine.close()


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"base_url": "gpu-box:8000/v1"}, "is not an http(s) URL"),
        ({"base_url": "http://gpu-box:port/v1"}, "is not a valid URL"),
        ({"base_url": "http://gpu-box:8000/v1", "model_path": "/models/x.gguf"}, "Both engines are configured"),
        ({"base_url": "http://gpu-box:8000/v1", "model": "qwen2.5-coder-0.5b"}, "Both engines are configured"),
        ({"api_model": "qwen2.5-coder-7b"}, "api_model is set but base_url is not"),
    ],
)
def test_contradicting_settings_are_refused_with_one_clear_line(config: dict[str, Any], problem: str) -> None:
    from traitlets.config import Config

    app = OpenCodeInterpreter(config=Config({"OpenCodeInterpreter": config}))
    assert problem in app.configuration_problem()
    engine = app.create_engine()
    assert engine.status.state == "error"
    assert engine.status.message.startswith("Configuration refused: ")
    assert problem in engine.status.message


def test_the_api_key_comes_from_the_environment_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    from traitlets.config import Config

    monkeypatch.setenv("OPENCODEINTERPRETER_API_KEY", "from-env")
    assert OpenCodeInterpreter().api_key == "from-env"
    assert OpenCodeInterpreter(config=Config({"OpenCodeInterpreter": {"api_key": "set"}})).api_key == "set"
    engine = RemoteEngine(RemoteConfig("http://user:secret@gpu-box:8000/v1/"))
    assert engine.status.endpoint == "http://gpu-box:8000/v1"  # credentials in a URL are not shown either
