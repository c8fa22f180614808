"""Fixtures: the real server extension, and the real embedded model loaded once per test session."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from model_server import ModelServer, small_model_path
from tornado.websocket import WebSocketClientConnection

from opencodeinterpreter_lab.engine.llama import LlamaEngine
from opencodeinterpreter_lab.server.app import OpenCodeInterpreter

pytest_plugins = ("pytest_jupyter.jupyter_server",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that run a real model (here or in a model server) are marked ``model``: ``pytest -m "not model"`` runs
    the rest in a few minutes."""
    for item in items:
        if {"engine", "model_server"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session")
def engine() -> Iterator[LlamaEngine]:
    """The embedded default model, resolved and loaded the way the extension does it, shared by all tests."""
    shared = LlamaEngine(OpenCodeInterpreter().engine_config())
    asyncio.run(shared.ready())
    yield shared
    asyncio.run(shared.close())


@pytest.fixture(scope="session")
def model_server() -> Iterator[ModelServer]:
    """A real OpenAI-compatible server (llama_cpp.server, 0.5B model) on loopback, shared by all tests."""
    server = ModelServer(small_model_path())
    yield server
    server.stop()


@pytest.fixture
def extension_config() -> dict[str, Any]:
    """Override in a test module (or parametrize) to configure the extension."""
    return {}


@pytest.fixture
def jp_server_config(extension_config: dict[str, Any]) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"opencodeinterpreter_lab": True}},
        "OpenCodeInterpreter": extension_config,
    }


@pytest.fixture
def assistant(jp_serverapp: Any) -> OpenCodeInterpreter:
    (app,) = jp_serverapp.extension_manager.extension_apps["opencodeinterpreter_lab"]
    assert isinstance(app, OpenCodeInterpreter)
    return app


@pytest.fixture
def shared_engine(assistant: OpenCodeInterpreter, engine: LlamaEngine) -> Iterator[LlamaEngine]:
    """Serve this test's extension from the session's loaded engine (and give the server its own back after)."""
    own = assistant.engine
    assistant.engine = engine
    yield engine
    assistant.engine = own


class ChatClient:
    """A thin test client for the chat WebSocket."""

    def __init__(self, ws: WebSocketClientConnection) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.ws.write_message(message if isinstance(message, str) else json.dumps(message))

    async def receive(self, timeout: float = 300) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.read_message(), timeout)
        assert raw is not None, "the server closed the connection"
        message: dict[str, Any] = json.loads(raw)
        return message

    async def receive_until_end(self, request_id: str) -> tuple[str, dict[str, Any]]:
        """Collect the text of ``request_id`` until its done/error message, which is returned too."""
        text = ""
        while True:
            message = await self.receive()
            if message.get("id") != request_id:
                continue
            if message["type"] == "token":
                text += message["text"]
            elif message["type"] in ("done", "error"):
                return text, message

    async def chat(self, request_id: str, content: str, **extra: Any) -> None:
        await self.send({"type": "chat", "id": request_id, "messages": [{"role": "user", "content": content}], **extra})


@pytest.fixture
def connect(jp_ws_fetch: Any) -> Any:
    async def open_chat() -> ChatClient:
        ws = await jp_ws_fetch("api", "opencodeinterpreter", "chat")
        return ChatClient(ws)

    return open_chat
