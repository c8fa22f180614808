"""The streaming benchmark: what the server adds on top of llama.cpp, and what prefix reuse saves.

It starts a real Jupyter server with the extension, then, on the same model and thread count:

1. decode speed of a chat streamed through the WebSocket vs raw llama-cpp-python (``create_chat_completion``
   with ``stream=True``), alternating runs so that machine noise hits both sides alike;
2. time to first token of a second conversation turn (its prefix is in llama.cpp's KV cache) vs the cold first
   turn (a nonce at the start of the system prompt defeats any earlier cache).

Only ratios measured within one run are meaningful; the machine is noisy.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from ..engine.llama import EngineConfig, open_llama
from ..engine.models import choose_model, resolve_model

DECODE_PROMPT = (
    "Write a Python module implementing a singly linked list class with push, pop, find, reverse and __iter__, "
    "with docstrings. Only code."
)
NOTEBOOK_CONTEXT = "\n".join(
    f"# cell {i}\nimport pandas as pd\ndf{i} = pd.DataFrame({{'a': range({i * 10}), 'b': range({i * 10})}})\n"
    f"df{i}['c'] = df{i}['a'] * df{i}['b']\nprint(df{i}.describe())"
    for i in range(1, 16)
)


@dataclass
class StreamRun:
    first_token_s: float
    pieces: int
    decode_s: float

    @property
    def tokens_per_second(self) -> float:
        return (self.pieces - 1) / self.decode_s if self.decode_s else 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _Server:
    """A real ``jupyter server`` with the extension, configured like the raw baseline."""

    def __init__(self, extension_config: dict[str, Any]) -> None:
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self._dir = tempfile.TemporaryDirectory()
        config = {
            "ServerApp": {"jpserver_extensions": {"opencodeinterpreter_lab": True}},
            "OpenCodeInterpreter": extension_config,
        }
        Path(self._dir.name, "jupyter_server_config.json").write_text(json.dumps(config))
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                "--no-browser",
                f"--port={self.port}",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={self._dir.name}",
                f"--config={Path(self._dir.name, 'jupyter_server_config.json')}",
                "--ServerApp.allow_root=True",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_until_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.request("GET", "status")
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the Jupyter server did not start")

    def request(self, method: str, route: str) -> dict[str, Any]:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/opencodeinterpreter/{route}",
            method=method,
            data=b"" if method == "POST" else None,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=10) as response:
            data: dict[str, Any] = json.load(response)
            return data

    async def connect(self) -> WebSocketClientConnection:
        return await websocket_connect(
            HTTPRequest(
                f"ws://127.0.0.1:{self.port}/api/opencodeinterpreter/chat",
                headers={"Authorization": f"token {self.token}"},
            )
        )

    def stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=30)
        self._dir.cleanup()


async def _ws_stream(ws: WebSocketClientConnection, messages: list[dict[str, str]], tokens: int) -> StreamRun:
    request_id = secrets.token_hex(4)
    sent = time.perf_counter()
    await ws.write_message(
        json.dumps({"type": "chat", "id": request_id, "messages": messages, "max_tokens": tokens, "temperature": 0})
    )
    first = last = 0.0
    pieces = 0
    while True:
        raw = await ws.read_message()
        assert raw is not None, "server closed the connection"
        message = json.loads(raw)
        if message.get("id") != request_id:
            continue
        if message["type"] == "token":
            last = time.perf_counter()
            first = first or last
            pieces += 1
        elif message["type"] == "error":
            raise RuntimeError(message["message"])
        elif message["type"] == "done":
            return StreamRun(first - sent, pieces, last - first)


def _raw_stream(llama: Any, messages: list[dict[str, str]], tokens: int) -> StreamRun:
    sent = time.perf_counter()
    first = last = 0.0
    pieces = 0
    for chunk in llama.create_chat_completion(messages, max_tokens=tokens, temperature=0, stream=True):
        if chunk["choices"][0]["delta"].get("content"):
            last = time.perf_counter()
            first = first or last
            pieces += 1
    return StreamRun(first - sent, pieces, last - first)


def _turns(nonce: str) -> tuple[list[dict[str, str]], str]:
    system = f"Session {nonce}. You are a coding assistant in a Jupyter notebook. Answer briefly."
    first = [
        {"role": "system", "content": system},
        {"role": "user", "content": f"Here is my notebook:\n{NOTEBOOK_CONTEXT}\n\nWhat does cell 3 compute?"},
    ]
    return first, "And which cell creates the largest DataFrame?"


async def _ws_side(server: _Server, tokens: int, runs: int) -> tuple[list[StreamRun], list[tuple[float, float]]]:
    ws = await server.connect()
    decode = []
    for _ in range(runs):
        decode.append(await _ws_stream(ws, [{"role": "user", "content": DECODE_PROMPT}], tokens))
    ttft = []
    for _ in range(runs):
        first, follow_up = _turns(secrets.token_hex(8))
        cold = await _ws_stream(ws, first, 48)
        answer = "Cell 3 builds df3 with columns a, b and c = a * b, then prints its summary statistics."
        second = [*first, {"role": "assistant", "content": answer}, {"role": "user", "content": follow_up}]
        warm = await _ws_stream(ws, second, 16)
        ttft.append((cold.first_token_s, warm.first_token_s))
    ws.close()
    return decode, ttft


def run_stream_benchmark(model: str, model_path: str, threads: int, tokens: int, runs: int) -> int:
    choice = choose_model(model_path, model=model)
    extension: dict[str, Any] = {"model": model, "model_path": model_path, "n_threads": threads}
    from ..server.app import OpenCodeInterpreter

    config = EngineConfig(model=choice, cache_dir=Path(OpenCodeInterpreter().cache_dir), n_threads=threads)
    path = resolve_model(choice, config.cache_dir, lambda message, fraction: None)
    print(f"model {choice.name} ({path}), {config.threads} threads, {tokens} tokens x {runs} runs", flush=True)

    server = _Server(extension)
    try:
        server.wait_until_ready()
        server.request("POST", "load")
        while (status := server.request("GET", "status"))["state"] == "loading":
            time.sleep(0.2)
        if status["state"] != "ready":
            raise RuntimeError(status["message"])
        llama = open_llama(path, config)
        ws_runs: list[StreamRun] = []
        raw_runs: list[StreamRun] = []
        ttft: list[tuple[float, float]] = []
        for _ in range(runs):  # alternate, so that noise hits both sides alike
            raw_runs.append(_raw_stream(llama, [{"role": "user", "content": DECODE_PROMPT}], tokens))
            decode, pairs = asyncio.run(_ws_side(server, tokens, 1))
            ws_runs += decode
            ttft += pairs
        llama.close()
    finally:
        server.stop()

    ws_tps = statistics.median(r.tokens_per_second for r in ws_runs)
    raw_tps = statistics.median(r.tokens_per_second for r in raw_runs)
    cold = statistics.median(c for c, _ in ttft)
    warm = statistics.median(w for _, w in ttft)
    print(
        f"decode tok/s   raw llama-cpp-python {raw_tps:6.2f}   WebSocket {ws_tps:6.2f}   ratio {ws_tps / raw_tps:.3f}"
    )
    print(f"first token s  cold turn {cold:6.2f}   warm second turn {warm:6.2f}   ratio {warm / cold:.3f}")
    print(f"stream/raw {ws_tps / raw_tps:.3f} (target >= 0.97); warm/cold TTFT {warm / cold:.3f} (target <= 0.20)")
    return 0
