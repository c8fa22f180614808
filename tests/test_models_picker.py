"""The model picker: listing, switching the server's engine while it runs, admin pinning, and hub downloads against
a loopback server that speaks the hub's resolve/HEAD/GET-with-Range protocol."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import huggingface_hub.constants
import pytest
from model_server import small_model_path
from tornado.httpclient import HTTPClientError

from opencodeinterpreter_lab.engine.catalog import SpeedLog, local_options
from opencodeinterpreter_lab.engine.models import CATALOG, Cancelled, CatalogEntry, ModelError, download_from_hub
from opencodeinterpreter_lab.server.app import OpenCodeInterpreter

SMALL, DEFAULT = "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"
REPO, FILE = "test-org/Tiny-GGUF", "tiny-q4_k_m.gguf"
SLICE = 16 * 1024 * 1024
"""Bytes of the real 0.5B GGUF the hub fixture serves: a real GGUF's start, small enough to download quickly."""


# ---- a hub on loopback ----------------------------------------------------------------------------------------------


class FakeHub:
    """Serves ``/<repo>/resolve/<rev>/<file>`` as the hub does: a 302 to a "CDN" host (``localhost`` instead of
    ``127.0.0.1``) carrying X-Repo-Commit, X-Linked-Etag (the sha256) and X-Linked-Size, and the blob with ETag,
    Content-Length, Accept-Ranges and 206 answers to Range requests. ``drop_after``: the next blob GET sends that
    many bytes and closes the connection."""

    COMMIT = "0123456789abcdef0123456789abcdef01234567"

    def __init__(self, files: dict[tuple[str, str], bytes]) -> None:
        self.files = {key: (hashlib.sha256(data).hexdigest(), data) for key, data in files.items()}
        self.drop_after: int | None = None
        self.chunk_delay = 0.0
        """Seconds between 256 KiB chunks of a blob (to watch a download's progress)."""
        self.gets: list[str | None] = []
        """The Range header of each blob GET (None: the whole file)."""
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_HEAD(self) -> None:
                self._serve(body=False)

            def do_GET(self) -> None:
                self._serve(body=True)

            def _serve(self, body: bool) -> None:
                if m := re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", self.path):
                    found = hub.files.get((m[1], m[3]))
                    if found is None:
                        self.send_response(404)
                        self.send_header("X-Error-Code", "EntryNotFound")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    sha, data = found
                    self.send_response(302)
                    self.send_header("Location", f"http://localhost:{hub.port}/blobs/{sha}")
                    self.send_header("X-Repo-Commit", hub.COMMIT)
                    self.send_header("X-Linked-Etag", f'"{sha}"')
                    self.send_header("X-Linked-Size", str(len(data)))
                    self.send_header("ETag", '"git-object-id"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                blob = next((data for sha, data in hub.files.values() if self.path == f"/blobs/{sha}"), None)
                if blob is None:
                    self.send_error(404)
                    return
                start, status = 0, 200
                if r := re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", "")):
                    start, status = int(r[1]), 206
                part = blob[start:]
                self.send_response(status)
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("ETag", f'"{hashlib.sha256(blob).hexdigest()}"')
                self.send_header("Content-Length", str(len(part)))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(blob) - 1}/{len(blob)}")
                self.end_headers()
                if not body:
                    return
                hub.gets.append(self.headers.get("Range"))
                if hub.drop_after is not None:
                    cut, hub.drop_after = hub.drop_after, None
                    self.wfile.write(part[:cut])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                for offset in range(0, len(part), 256 * 1024):
                    self.wfile.write(part[offset : offset + 256 * 1024])
                    time.sleep(hub.chunk_delay)

        return Handler


@pytest.fixture(scope="module")
def gguf_slice() -> bytes:
    with small_model_path().open("rb") as f:
        return f.read(SLICE)


@pytest.fixture
def hub(gguf_slice: bytes, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    server = FakeHub({(REPO, FILE): gguf_slice})
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    yield server
    server.stop()


def hub_files(cache: Path) -> list[str]:
    return sorted(str(p.relative_to(cache)) for p in (cache / "hub").rglob("*") if p.is_file() or p.is_symlink())


def test_download_reports_bytes_and_reuses_the_cache(hub: FakeHub, gguf_slice: bytes, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    path = download_from_hub(REPO, FILE, tmp_path, lambda m, f: None, on_bytes=lambda d, t: seen.append((d, t)))
    assert path.read_bytes() == gguf_slice
    assert seen[-1] == (SLICE, SLICE)
    assert hub.gets == [None]
    again = download_from_hub(REPO, FILE, tmp_path, lambda m, f: None)  # cached: metadata only, no GET
    assert again == path
    assert hub.gets == [None]


def test_a_dropped_download_resumes_where_it_stopped(hub: FakeHub, gguf_slice: bytes, tmp_path: Path) -> None:
    hub.drop_after = 12 * 1024 * 1024  # huggingface_hub writes 10 MiB chunks: it resumes from the first one
    path = download_from_hub(REPO, FILE, tmp_path, lambda m, f: None, sha256=hashlib.sha256(gguf_slice).hexdigest())
    assert path.read_bytes() == gguf_slice
    assert hub.gets[0] is None
    assert hub.gets[1:] == [f"bytes={10 * 1024 * 1024}-"]


def test_a_cancelled_download_leaves_the_cache_clean(hub: FakeHub, gguf_slice: bytes, tmp_path: Path) -> None:
    def cancel_halfway(message: str, fraction: float | None) -> None:
        if fraction is not None and fraction > 0.3:
            raise Cancelled("Cancelled.")

    with pytest.raises(Cancelled):
        download_from_hub(REPO, FILE, tmp_path, cancel_halfway)
    assert not [name for name in hub_files(tmp_path) if "/blobs/" in name or "/snapshots/" in name]
    assert download_from_hub(REPO, FILE, tmp_path, lambda m, f: None).read_bytes() == gguf_slice


def test_a_download_that_does_not_match_its_checksum_is_refused(hub: FakeHub, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not match its known checksum"):
        download_from_hub(REPO, FILE, tmp_path, lambda m, f: None, sha256="0" * 64)
    assert not [name for name in hub_files(tmp_path) if "/blobs/" in name or "/snapshots/" in name]


# ---- the server's routes ---------------------------------------------------------------------------------------------


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A cache holding the two embedded models (linked to the real assembled ones, with their verification stamps)."""
    folder = tmp_path / "cache"
    folder.mkdir()
    real = Path(OpenCodeInterpreter().cache_dir)
    small_model_path()
    for key in (SMALL, DEFAULT):
        name = CATALOG[key].filename
        if (real / name).exists():
            (folder / name).symlink_to(real / name)
            shutil.copy(real / f"{name}.verified", folder / f"{name}.verified")
    return folder


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "my-model.gguf").write_bytes(b"GGUF" + bytes(60))
    return folder


@pytest.fixture
def extension_config(cache: Path, models_dir: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    config: dict[str, Any] = {"cache_dir": str(cache), "models_dir": str(models_dir), "n_ctx": 2048}
    config.update(getattr(request, "param", {}))
    return config


async def models(jp_fetch: Any, method: str = "GET", **body: Any) -> tuple[int, dict[str, Any]]:
    extra = {"body": json.dumps(body)} if method == "POST" else {}
    response = await jp_fetch("api", "opencodeinterpreter", "models", method=method, **extra)
    return response.code, json.loads(response.body)


async def until_switched(jp_fetch: Any, timeout: float = 240) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            _, listing = await models(jp_fetch)
            if listing["preparing"] is None:
                return listing
            await asyncio.sleep(0.2)


async def test_listing_offers_the_catalog_files_and_speeds(
    jp_fetch: Any, cache: Path, models_dir: Path, assistant: OpenCodeInterpreter
) -> None:
    code, listing = await models(jp_fetch)
    assert code == 200
    by_key = {m["key"]: m for m in listing["models"]}
    assert listing["current"] == DEFAULT
    assert listing["preparing"] is None
    assert listing["error"] == ""
    assert set(CATALOG) <= set(by_key)
    assert by_key[SMALL]["present"] and by_key[SMALL]["size"] == 491_400_064
    assert by_key[SMALL]["detail"] == "assembled in the cache"
    hub_model = by_key["opencodeinterpreter-ds-1.3b"]
    assert (hub_model["source"], hub_model["present"]) == ("hub", False)
    mine = by_key[str(models_dir / "my-model.gguf")]
    assert (mine["source"], mine["size"], mine["present"]) == ("path", 64, True)
    assert all(m["tokens_per_second"] is None for m in listing["models"])

    SpeedLog(cache / "speeds.json").record(SMALL, 31.25)
    _, listing = await models(jp_fetch)
    assert {m["key"]: m["tokens_per_second"] for m in listing["models"]}[SMALL] == 31.25


def test_listing_skips_the_assembled_catalog_files(cache: Path) -> None:
    keys = [option.key for option in local_options(cache)]
    assert keys == list(CATALOG)


@pytest.mark.parametrize(
    "extension_config", [{"model_choices": [SMALL, "remote:nothing"]}], indirect=True, ids=["pinned"]
)
async def test_admins_pin_the_choices(jp_fetch: Any) -> None:
    _, listing = await models(jp_fetch)
    assert [m["key"] for m in listing["models"]] == [DEFAULT, SMALL]  # the current one stays listed
    with pytest.raises(HTTPClientError) as refused:
        await models(jp_fetch, "POST", model="opencodeinterpreter-ds-1.3b")
    assert refused.value.code == 400


@pytest.mark.parametrize("extension_config", [{"model_picker": False}], indirect=True, ids=["off"])
async def test_admins_turn_the_picker_off(jp_fetch: Any) -> None:
    for method, body in (("GET", {}), ("POST", {"model": SMALL}), ("DELETE", {})):
        with pytest.raises(HTTPClientError) as refused:
            await models(jp_fetch, method, **body)
        assert refused.value.code == 403


async def test_offline_a_hub_model_fails_and_the_current_one_stays(
    jp_fetch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{s.getsockname()[1]}")
    code, listing = await models(jp_fetch, "POST", model="opencodeinterpreter-ds-1.3b")
    assert code == 202
    assert listing["preparing"]["model"] == "opencodeinterpreter-ds-1.3b"
    listing = await until_switched(jp_fetch)
    assert listing["current"] == DEFAULT
    assert listing["error"].startswith("Could not download tensorblock/OpenCodeInterpreter-DS-1.3B-GGUF")


@pytest.fixture
def tiny(hub: FakeHub, gguf_slice: bytes, monkeypatch: pytest.MonkeyPatch) -> str:
    """A catalog entry, defined by this test, for the fixture hub's file (with its sha256)."""
    entry = CatalogEntry(
        key="tiny-test",
        name="Tiny test GGUF",
        description="The start of a real GGUF, served by the test's hub.",
        filename=FILE,
        hub_repo=REPO,
        hub_file=FILE,
        sha256=hashlib.sha256(gguf_slice).hexdigest(),
    )
    monkeypatch.setitem(CATALOG, entry.key, entry)
    return entry.key


async def test_a_hub_model_is_downloaded_with_progress(
    jp_fetch: Any, hub: FakeHub, tiny: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bytes and percent while downloading; the slice is no loadable model, so the switch fails and the current
    model stays, but the verified download is kept in the cache."""
    monkeypatch.setattr(huggingface_hub.constants, "DOWNLOAD_CHUNK_SIZE", 1024 * 1024)  # finer progress
    hub.chunk_delay = 0.02
    code, listing = await models(jp_fetch, "POST", model=tiny)
    assert code == 202
    seen = []
    while listing["preparing"] is not None:
        seen.append(listing["preparing"])
        await asyncio.sleep(0.1)
        _, listing = await models(jp_fetch)
    downloading = [p for p in seen if p["bytes_done"] and p["bytes_total"] == SLICE and p["progress"] is not None]
    assert downloading, seen
    assert 0 < downloading[0]["bytes_done"] < SLICE
    assert listing["current"] == DEFAULT
    assert listing["error"].startswith("Could not load the model"), listing["error"]
    assert {m["key"]: m["present"] for m in listing["models"]}[tiny] is True


async def test_a_preparation_can_be_cancelled(jp_fetch: Any, hub: FakeHub, tiny: str) -> None:
    hub.drop_after = 0  # the first GET dies at once and huggingface_hub waits a second to resume: time to cancel
    code, listing = await models(jp_fetch, "POST", model=tiny)
    assert (code, listing["preparing"]["model"]) == (202, tiny)
    code, listing = await models(jp_fetch, "DELETE")
    assert (code, listing["preparing"], listing["current"], listing["error"]) == (200, None, DEFAULT, "")
    code, listing = await models(jp_fetch, "POST", model=tiny)  # a new attempt may start at once
    assert code == 202
    await until_switched(jp_fetch)


@pytest.mark.model
async def test_switching_models_while_a_chat_streams(
    jp_fetch: Any, connect: Any, assistant: OpenCodeInterpreter, cache: Path
) -> None:
    """Every panel follows the new engine; a chat that streams during a switch finishes on the old one."""
    client = await connect()
    assert (await client.receive())["status"]["model"] == CATALOG[DEFAULT].name

    code, listing = await models(jp_fetch, "POST", model=SMALL)
    assert code == 202
    assert listing["preparing"]["model"] == SMALL
    listing = await until_switched(jp_fetch)
    assert (listing["current"], listing["error"]) == (SMALL, "")
    names = []
    while not names or names[-1] != CATALOG[SMALL].name:
        message = await client.receive()
        names.append(message["status"]["model"])
    await client.chat("c1", "Write a haiku about the sea.", max_tokens=48)
    text, done = await client.receive_until_end("c1")
    assert done["type"] == "done" and text
    await assistant.picker.engine.retiring()  # the speed is recorded once the engine is done with the request
    speeds = json.loads((cache / "speeds.json").read_text())
    assert speeds[SMALL]["tokens_per_second"] > 0

    old = assistant.picker.engine.current
    await client.chat("c2", "Count from 1 to 40, one number a line.", max_tokens=96, temperature=0)
    first = await client.receive()
    assert (first["type"], first["id"]) == ("token", "c2")
    code, _ = await models(jp_fetch, "POST", model=DEFAULT)
    assert code == 202
    text, done = await client.receive_until_end("c2")
    assert done["type"] == "done" and not done["cancelled"], done
    assert done["usage"]["completion_tokens"] > 1
    listing = await until_switched(jp_fetch)
    assert listing["current"] == DEFAULT
    await assistant.picker.engine.retiring()
    assert old.status.model == CATALOG[SMALL].name
    assert getattr(old, "_llama", None) is None  # released

    await client.chat("c3", "Say hi.", max_tokens=8)
    _, done = await client.receive_until_end("c3")
    assert done["type"] == "done"
    assert assistant.engine.status.model == CATALOG[DEFAULT].name
