#!/usr/bin/env python3
"""End-to-end check of OpenCodeInterpreter Lab on a real JupyterHub with one shared model server.

It starts, all on loopback and in a scratch directory:

1. the shared engine: ``llama_cpp.server`` with a small GGUF model and an API key (or uses ``--base-url``);
2. JupyterHub (``jupyterhub_config.py`` next to this file): DummyAuthenticator, SimpleLocalProcessSpawner,
   configurable-http-proxy, every user's server pointed at the engine with ``--OpenCodeInterpreter.base_url``
   and the key in ``OPENCODEINTERPRETER_API_KEY``;

then, as a hub API client with a service token: starts alice's and bob's servers, issues each a token, and through
the proxy (``/user/NAME/api/opencodeinterpreter/...``) checks that the assistant's source is "remote", connects it,
checks that bob's token does not open alice's server, and sends one chat per user over the WebSocket at the same
time; both must end with ``done`` and some text. Everything it started is stopped, also on failure or Ctrl-C.

Exit status 0 on success; otherwise 1 and a last line ``hub e2e FAILED: <reason>`` (the logs are kept then).
Needs ``jupyterhub`` in this Python and ``configurable-http-proxy`` (``run.sh`` installs both).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_MODEL = "~/.cache/opencodeinterpreter-lab/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
USERS = ("alice", "bob")
PROMPTS = {
    "alice": "Write a Python function that returns the square of a number. Only code.",
    "bob": "Write a Python one-liner that prints the numbers 1 to 5. Only code.",
}
T0 = time.monotonic()


class Failure(Exception):
    """The check failed; the message is the one line to show."""


def say(message: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f}s] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def http(
    method: str, url: str, token: str = "", body: Any = None, timeout: float = 10, scheme: str = "token"
) -> tuple[int, Any]:
    """One request; (status, parsed JSON or text). Raises OSError when nothing answers."""
    data = None if body is None else json.dumps(body).encode()
    if method == "POST" and data is None:
        data = b""
    headers = {"Content-Type": "application/json"} if data is not None else {}
    if token:
        headers["Authorization"] = f"{scheme} {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")[:300]


def wait_for(what: str, check: Any, timeout: float, interval: float = 0.3) -> Any:
    """Call ``check()`` until it returns something truthy (OSError counts as not yet); that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if result := check():
                return result
        except OSError:
            pass
        time.sleep(interval)
    raise Failure(f"timed out after {timeout:.0f}s waiting for {what}")


# --- processes ---------------------------------------------------------------------------------------------------


def _descendants(root: int) -> list[int]:
    """Every live process below ``root`` (from /proc; empty where there is none)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Process:
    """A child in its own session, its output in a log file; ``stop`` ends it and everything it started."""

    def __init__(
        self, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None
    ):
        self.name, self.log = name, log
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )

    def check_running(self) -> None:
        if self.popen.poll() is not None:
            raise Failure(f"{self.name} exited with status {self.popen.returncode}: {self.last_line()}")

    def last_line(self) -> str:
        try:
            lines = [line for line in self.log.read_text(errors="replace").splitlines() if line.strip()]
        except OSError:
            return "(no log)"
        errors = [line for line in lines if "error" in line.lower() or "Traceback" in line]
        return (errors or lines or ["(empty log)"])[-1].strip()[:300]

    def stop(self, grace: float = 20) -> None:
        """SIGTERM (so that JupyterHub stops the users' servers and the proxy itself), then kill what is left."""
        pid = self.popen.pid
        family = _descendants(pid)
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        deadline = time.monotonic() + 5
        while (left := [p for p in family if _alive(p)]) and time.monotonic() < deadline:
            for p in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p, signal.SIGTERM)
            time.sleep(0.3)
        for p in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)


# --- the check ---------------------------------------------------------------------------------------------------


async def chat(hub: str, user: str, token: str, max_tokens: int, timeout: float, start: float) -> dict[str, Any]:
    """One chat over the user's WebSocket, through the proxy; its timings (seconds since ``start``) and text."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    url = f"ws://{hub}/user/{user}/api/opencodeinterpreter/chat"
    ws = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {token}"}, request_timeout=30))
    request_id = f"{user}-{secrets.token_hex(3)}"
    messages = [{"role": "user", "content": PROMPTS[user]}]
    sent = time.perf_counter() - start
    await ws.write_message(
        json.dumps({"type": "chat", "id": request_id, "messages": messages, "max_tokens": max_tokens, "temperature": 0})
    )
    pieces: list[str] = []
    first = 0.0

    async def receive() -> dict[str, Any]:
        nonlocal first
        while True:
            raw = await ws.read_message()
            if raw is None:
                raise Failure(f"{user}'s chat WebSocket closed before 'done'")
            message: dict[str, Any] = json.loads(raw)
            if message.get("id") != request_id:
                continue  # status pushes
            if message["type"] == "token":
                first = first or time.perf_counter() - start
                pieces.append(message["text"])
            elif message["type"] == "error":
                raise Failure(f"{user}'s chat ended with an error: {message.get('message')}")
            elif message["type"] == "done":
                return message

    try:
        await asyncio.wait_for(receive(), timeout)
    except asyncio.TimeoutError:
        raise Failure(f"{user}'s chat did not finish within {timeout:.0f}s") from None
    finally:
        ws.close()
    text = "".join(pieces)
    if not text.strip():
        raise Failure(f"{user}'s chat ended with 'done' but no text")
    return {
        "user": user,
        "sent": sent,
        "first": first,
        "done": time.perf_counter() - start,
        "pieces": len(pieces),
        "text": text,
    }


async def concurrent_chats(hub: str, tokens: dict[str, str], max_tokens: int, timeout: float) -> list[dict[str, Any]]:
    start = time.perf_counter()
    return list(await asyncio.gather(*(chat(hub, u, tokens[u], max_tokens, timeout, start) for u in USERS)))


class Check:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.scratch = Path(tempfile.mkdtemp(prefix="oci-hub-e2e-"))
        self.processes: list[Process] = []
        self.hub_port = args.hub_port or free_port()
        self.hub = f"127.0.0.1:{self.hub_port}"
        self.admin_token = secrets.token_hex(24)
        self.hub_process: Process | None = None
        self.started: list[str] = []  # users whose servers may be running
        self.phases: dict[str, float] = {}

    def phase(self, name: str, since: float) -> None:
        self.phases[name] = time.monotonic() - since

    def hub_api(self, method: str, path: str, body: Any = None, timeout: float = 30) -> tuple[int, Any]:
        return http(method, f"http://{self.hub}/hub/api{path}", self.admin_token, body, timeout)

    def user_api(self, user: str, method: str, route: str, token: str) -> tuple[int, Any]:
        return http(method, f"http://{self.hub}/user/{user}/api/opencodeinterpreter/{route}", token, timeout=30)

    # ---------------------------------------------------------------------------------------------------------------

    def start_engine(self) -> tuple[str, str]:
        if self.args.base_url:
            key = os.environ.get("OPENCODEINTERPRETER_API_KEY", "")
            say(f"using the engine at {self.args.base_url}")
            return self.args.base_url.rstrip("/"), key
        model = Path(self.args.model).expanduser()
        if not model.is_file():
            raise Failure(f"no model file at {model} (run `jupyter-opencodeinterpreter model` or pass --model)")
        t = time.monotonic()
        port, key = free_port(), secrets.token_hex(16)
        argv = [
            sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
            "--port", str(port), "--n_threads", str(self.args.threads), "--n_ctx", "4096", "--api_key", key,
            # Queue concurrent requests instead of cutting the running stream short for the newcomer.
            "--interrupt_requests", "False",
        ]  # fmt: skip
        engine = Process("llama_cpp.server", argv, self.scratch / "llama-server.log")
        self.processes.append(engine)
        url = f"http://127.0.0.1:{port}/v1"

        def ready() -> bool:
            engine.check_running()
            status, body = http("GET", f"{url}/models", key, timeout=3, scheme="Bearer")
            return status == 200 and bool(body.get("data"))

        wait_for("llama_cpp.server", ready, self.args.timeout)
        status, _ = http("GET", f"{url}/models", "wrong-key", scheme="Bearer")
        if status != 401:
            raise Failure(f"the engine answered {status} to a wrong API key; expected 401")
        self.phase("engine", t)
        say(f"engine ready at {url} ({model.name}), {self.phases['engine']:.1f}s")
        return url, key

    def prerequisites(self) -> tuple[str, Path]:
        """The proxy and JupyterHub executables, before anything starts."""
        proxy = self.args.proxy or shutil.which("configurable-http-proxy")
        if not proxy or not Path(proxy).exists():
            raise Failure("configurable-http-proxy not found (npm install configurable-http-proxy; pass --proxy)")
        jupyterhub = Path(sys.executable).parent / "jupyterhub"
        if not jupyterhub.exists():
            raise Failure(f"JupyterHub is not installed in {sys.prefix} (pip install jupyterhub)")
        return proxy, jupyterhub

    def start_hub(self, proxy: str, jupyterhub: Path, engine_url: str, engine_key: str) -> None:
        t = time.monotonic()
        env = {
            **os.environ,
            "OCI_HUB_STATE_DIR": str(self.scratch / "state"),
            "OCI_HUB_PORT": str(self.hub_port),
            "OCI_HUB_API_PORT": str(free_port()),
            "OCI_HUB_PROXY_API_PORT": str(free_port()),
            "OCI_HUB_PROXY": proxy,
            "OCI_HUB_ADMIN_TOKEN": self.admin_token,
            "OCI_HUB_PASSWORD": secrets.token_hex(8),
            "OCI_HUB_ENGINE_URL": engine_url,
            "OCI_HUB_ENGINE_MODEL": self.args.api_model,
            "OPENCODEINTERPRETER_API_KEY": engine_key,
        }
        env.pop("CONFIGPROXY_AUTH_TOKEN", None)
        argv = [str(jupyterhub), "-f", str(HERE / "jupyterhub_config.py")]
        self.hub_process = hub = Process("JupyterHub", argv, self.scratch / "jupyterhub.log", env, self.scratch)
        self.processes.append(hub)

        def ready() -> bool:
            hub.check_running()
            status, _ = self.hub_api("GET", "/users/alice")
            return status == 200

        wait_for("JupyterHub and its proxy", ready, self.args.timeout)
        self.phase("hub", t)
        say(f"JupyterHub ready at http://{self.hub}/, {self.phases['hub']:.1f}s")

    def start_servers(self) -> dict[str, str]:
        t = time.monotonic()
        self.started += USERS  # (also when a request below fails: the spawn may have begun)
        # At once: the hub answers a POST only when the server is up or after slow_spawn_timeout (10 s).
        with ThreadPoolExecutor(len(USERS)) as pool:
            answers = pool.map(lambda u: self.hub_api("POST", f"/users/{u}/server", timeout=60), USERS)
            for user, (status, body) in zip(USERS, answers, strict=True):
                if status not in (201, 202):
                    raise Failure(f"starting {user}'s server: hub answered {status} {body}")

        def ready(user: str) -> Any:
            def check() -> bool:
                assert self.hub_process is not None
                self.hub_process.check_running()
                status, model = self.hub_api("GET", f"/users/{user}")
                server = (model or {}).get("servers", {}).get("") if status == 200 else None
                if status == 200 and not server and not model.get("pending"):
                    raise Failure(f"{user}'s server failed to start: {self.hub_process.last_line()}")
                return bool(server and server.get("ready"))

            return check

        for user in USERS:
            wait_for(f"{user}'s server", ready(user), self.args.timeout)
        self.phase("servers", t)
        say(f"servers of {' and '.join(USERS)} ready, {self.phases['servers']:.1f}s")

        tokens = {}
        for user in USERS:
            body = {"note": "hub e2e", "expires_in": 900, "scopes": [f"access:servers!user={user}"]}
            status, model = self.hub_api("POST", f"/users/{user}/tokens", body)
            if status != 201:
                raise Failure(f"issuing {user}'s token: hub answered {status} {model}")
            tokens[user] = model["token"]
        return tokens

    def connect_assistants(self, tokens: dict[str, str]) -> None:
        t = time.monotonic()
        for user in USERS:
            status, body = self.user_api(user, "GET", "status", tokens[user])
            if status != 200:
                raise Failure(f"GET /user/{user}/api/opencodeinterpreter/status answered {status}: {body}")
            if body.get("source") != "remote":
                raise Failure(f"{user}'s assistant has source {body.get('source')!r}, not 'remote': {body}")
            say(f"{user}: status source=remote endpoint={body.get('endpoint')} state={body.get('state')}")
        status, _ = self.user_api("alice", "GET", "status", tokens["bob"])
        if status != 403:
            raise Failure(f"bob's token opened alice's server (status {status}); expected 403")
        say("bob's token is refused by alice's server (403)")
        for user in USERS:
            status, body = self.user_api(user, "POST", "load", tokens[user])
            if status not in (200, 202):
                raise Failure(f"POST /user/{user}/api/opencodeinterpreter/load answered {status}: {body}")

        def ready(user: str) -> Any:
            def check() -> Any:
                status, body = self.user_api(user, "GET", "status", tokens[user])
                if status == 200 and body.get("state") == "error":
                    raise Failure(f"{user}'s assistant could not connect: {body.get('message')}")
                return body if status == 200 and body.get("state") == "ready" else None

            return check

        for user in USERS:
            body = wait_for(f"{user}'s assistant to connect", ready(user), self.args.timeout)
            say(f"{user}: assistant ready, model {body.get('model')!r}")
        self.phase("connect", t)

    def run_chats(self, tokens: dict[str, str]) -> None:
        t = time.monotonic()
        results = asyncio.run(concurrent_chats(self.hub, tokens, self.args.max_tokens, self.args.timeout))
        self.phase("chats", t)
        for r in results:
            say(
                f"{r['user']}: sent {r['sent']:.2f}s, first token {r['first']:.2f}s, done {r['done']:.2f}s, "
                f"{r['pieces']} pieces: {r['text'].strip()[:70]!r}"
            )
        say(f"both chats done in {self.phases['chats']:.1f}s")

    def stop(self) -> None:
        t = time.monotonic()

        def delete(user: str) -> None:  # ask the hub first: the polite way, and what an admin would do
            with contextlib.suppress(OSError):
                self.hub_api("DELETE", f"/users/{user}/server")

        if self.started:
            with ThreadPoolExecutor(len(self.started)) as pool:  # each answer waits for that server to stop
                list(pool.map(delete, self.started))
        for user in self.started:
            with contextlib.suppress(Failure):  # stopping the hub (below) kills what is left
                wait_for(f"{user}'s server to stop", lambda u=user: self._stopped(u), 20)
        for process in reversed(self.processes):
            process.stop()
        self.phase("stop", t)

    def _stopped(self, user: str) -> bool:
        try:
            status, model = self.hub_api("GET", f"/users/{user}", timeout=3)
        except OSError:
            return True  # no hub: nothing more to wait for here
        return status != 200 or (not model.get("servers") and not model.get("pending"))

    def run(self) -> None:
        proxy, jupyterhub = self.prerequisites()
        engine_url, engine_key = self.start_engine()
        self.start_hub(proxy, jupyterhub, engine_url, engine_key)
        tokens = self.start_servers()
        self.connect_assistants(tokens)
        self.run_chats(tokens)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, help="GGUF file for the engine (default: %(default)s)")
    parser.add_argument("--base-url", default="", help="use this OpenAI-compatible engine instead of starting one "
                        "(key from OPENCODEINTERPRETER_API_KEY)")  # fmt: skip
    parser.add_argument("--api-model", default="", help="model name at the engine (default: its first)")
    parser.add_argument("--proxy", default="", help="configurable-http-proxy executable (default: from PATH)")
    parser.add_argument("--hub-port", type=int, default=0, help="the hub's public port (default: a free one)")
    parser.add_argument("--threads", type=int, default=2, help="the engine's CPU threads (default: %(default)s)")
    parser.add_argument("--max-tokens", type=int, default=32, help="answer length per chat (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=180, help="seconds per wait (default: %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs) after success")
    args = parser.parse_args()

    def terminated(signum: int, frame: Any) -> None:
        raise Failure(f"interrupted by signal {signum}")

    signal.signal(signal.SIGTERM, terminated)
    check = Check(args)
    failure = ""
    try:
        check.run()
    except Failure as e:
        failure = str(e)
    except KeyboardInterrupt:
        failure = "interrupted"
    except Exception as e:
        failure = f"{type(e).__name__}: {e}"
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # finish cleaning up
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        check.stop()
    phases = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in check.phases.items())
    total = time.monotonic() - T0
    if failure:
        say(f"stopped everything; logs kept in {check.scratch} ({phases})")
        print(f"hub e2e FAILED: {failure}", file=sys.stderr, flush=True)
        return 1
    if args.keep:
        say(f"logs in {check.scratch}")
    else:
        shutil.rmtree(check.scratch, ignore_errors=True)
    say(f"hub e2e PASSED in {total:.1f}s ({phases})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
