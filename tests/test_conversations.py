"""The stored conversations: the store itself, its REST routes, renames followed, and authentication."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from tornado.httpclient import HTTPClientError

from opencodeinterpreter_lab.server.app import OpenCodeInterpreter
from opencodeinterpreter_lab.server.conversations import ConversationStore, InvalidPath, normalize_path

ROUTE = ("api", "opencodeinterpreter", "conversations")


def entry(i: int, text: str = "hello") -> dict[str, Any]:
    return {"id": f"e{i}", "role": "user" if i % 2 else "assistant", "content": f"{text} {i}", "state": "complete"}


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    return ConversationStore(tmp_path / "conversations", max_entries=10, max_bytes=2000, max_conversations=3)


# ---- the store ------------------------------------------------------------------------------------------------------


def test_round_trip_keeps_entries_and_the_path_in_a_hashed_file(store: ConversationStore) -> None:
    entries = [entry(1), {**entry(2), "fix": {"status": "fixed", "rounds": [{"round": 1, "text": "ü"}]}}]
    store.save("/work/analysis.ipynb/", entries)
    loaded = store.load("work/analysis.ipynb")
    assert loaded.path == "work/analysis.ipynb"
    assert loaded.entries == entries
    assert loaded.updated > 0
    (file,) = store.root.iterdir()
    assert "analysis" not in file.name and len(file.stem) == 64
    assert json.loads(file.read_text(encoding="utf-8"))["path"] == "work/analysis.ipynb"
    assert store.load("other.ipynb").entries == []
    assert store.delete("work/analysis.ipynb") and not store.delete("work/analysis.ipynb")
    assert store.load("work/analysis.ipynb").entries == []


def test_writes_are_atomic_and_leave_no_temporary_files(store: ConversationStore) -> None:
    for n in range(3):
        store.save("a.ipynb", [entry(i) for i in range(n + 1)])
    assert [f.suffix for f in store.root.iterdir()] == [".json"]


def test_bounds_drop_the_oldest_entries(store: ConversationStore) -> None:
    stored = store.save("a.ipynb", [entry(i) for i in range(25)])
    assert [e["id"] for e in stored.entries] == [f"e{i}" for i in range(15, 25)]
    big = [entry(i, "x" * 500) for i in range(6)]
    stored = store.save("a.ipynb", big)
    assert [e["id"] for e in stored.entries] == ["e3", "e4", "e5"]
    assert len(store.file_for("a.ipynb").read_bytes()) < 2200
    assert store.save("a.ipynb", [entry(0, "x" * 5000)]).entries == []


def test_the_least_recently_used_conversations_go(store: ConversationStore) -> None:
    for i, name in enumerate(["a", "b", "c"]):
        store.save(f"{name}.ipynb", [entry(1)])
        os.utime(store.file_for(f"{name}.ipynb"), (1000 + i, 1000 + i))
    store.load("a.ipynb")  # used: now the most recent
    store.save("d.ipynb", [entry(1)])
    assert [bool(store.load(f"{n}.ipynb").entries) for n in "abcd"] == [True, False, True, True]


def test_a_corrupt_or_foreign_file_is_ignored_with_a_warning(
    store: ConversationStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.root.mkdir(parents=True)
    store.file_for("a.ipynb").write_text("{not json", encoding="utf-8")
    store.file_for("b.ipynb").write_text(json.dumps({"version": 1, "path": "z.ipynb", "entries": []}))
    store.file_for("c.ipynb").write_text(json.dumps({"version": 7, "path": "c.ipynb", "entries": "no"}))
    with caplog.at_level(logging.WARNING):
        for name in "abc":
            assert store.load(f"{name}.ipynb").entries == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3
    assert "corrupt" in warnings[0] and "'z.ipynb'" in warnings[1]
    store.save("a.ipynb", [entry(1)])  # and saving replaces the corrupt file
    assert store.load("a.ipynb").entries == [entry(1)]


def test_renames_follow_notebooks_and_folders(store: ConversationStore) -> None:
    store.save("a.ipynb", [entry(1)])
    store.save("dir/b.ipynb", [entry(2)])
    store.save("dir/sub/c.ipynb", [entry(3)])
    assert store.rename("a.ipynb", "renamed.ipynb") == 1
    assert store.load("a.ipynb").entries == [] and store.load("renamed.ipynb").entries == [entry(1)]
    assert store.rename("dir", "moved") == 2
    assert store.load("moved/b.ipynb").entries == [entry(2)]
    assert store.load("moved/sub/c.ipynb").entries == [entry(3)]
    assert store.load("dir/b.ipynb").entries == []
    assert store.rename("nothing.ipynb", "x.ipynb") == 0


@pytest.mark.parametrize("path", ["../etc/passwd", "a/../../b.ipynb", "a\x00.ipynb", "x" * 5000])
def test_paths_that_are_refused(path: str) -> None:
    with pytest.raises(InvalidPath):
        normalize_path(path)


# ---- the REST routes -------------------------------------------------------------------------------------------------


@pytest.fixture
def extension_config(tmp_path: Path) -> dict[str, Any]:
    return {"conversations_dir": str(tmp_path / "stored")}


def query(path: str) -> dict[str, str]:
    return {"path": path}


async def test_get_put_delete_through_the_server(jp_fetch: Any, tmp_path: Path) -> None:
    empty = json.loads((await jp_fetch(*ROUTE, params=query("nb.ipynb"))).body)
    assert empty == {"version": 1, "path": "nb.ipynb", "updated": 0.0, "entries": []}
    body = json.dumps({"entries": [entry(1), entry(2)]})
    assert (await jp_fetch(*ROUTE, method="PUT", body=body, params=query("nb.ipynb"))).code == 204
    stored = json.loads((await jp_fetch(*ROUTE, params=query("nb.ipynb"))).body)
    assert stored["entries"] == [entry(1), entry(2)] and stored["path"] == "nb.ipynb"
    assert len(list((tmp_path / "stored").iterdir())) == 1
    assert (await jp_fetch(*ROUTE, method="DELETE", params=query("nb.ipynb"))).code == 204
    assert json.loads((await jp_fetch(*ROUTE, params=query("nb.ipynb"))).body)["entries"] == []


@pytest.mark.parametrize(
    ("method", "params", "body"),
    [
        ("GET", {}, None),
        ("GET", query("../secret"), None),
        ("PUT", query("nb.ipynb"), "{not json"),
        ("PUT", query("nb.ipynb"), json.dumps({"entries": "no"})),
    ],
)
async def test_bad_requests_are_refused(jp_fetch: Any, method: str, params: dict[str, str], body: str | None) -> None:
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch(*ROUTE, method=method, params=params, **({"body": body} if body is not None else {}))
    assert refused.value.code == 400


async def test_a_renamed_notebook_keeps_its_conversation(jp_fetch: Any, assistant: OpenCodeInterpreter) -> None:
    await jp_fetch("api", "contents", "old.ipynb", method="PUT", body=json.dumps({"type": "notebook"}))
    await jp_fetch(*ROUTE, method="PUT", body=json.dumps({"entries": [entry(1)]}), params=query("old.ipynb"))
    await jp_fetch("api", "contents", "old.ipynb", method="PATCH", body=json.dumps({"path": "new name.ipynb"}))
    await asyncio.wait_for(assistant.serverapp.event_logger.gather_listeners(), 10)
    moved = json.loads((await jp_fetch(*ROUTE, params=query("new name.ipynb"))).body)
    assert moved["entries"] == [entry(1)] and moved["path"] == "new name.ipynb"
    assert json.loads((await jp_fetch(*ROUTE, params=query("old.ipynb"))).body)["entries"] == []


async def test_the_routes_require_authentication(jp_fetch: Any, jp_base_url: str, http_server_client: Any) -> None:
    for method in ("GET", "PUT", "DELETE"):
        url = f"{jp_base_url.rstrip('/')}/api/opencodeinterpreter/conversations?path={quote('nb.ipynb')}"
        with pytest.raises(HTTPClientError) as refused:
            await http_server_client.fetch(url, method=method, body="{}" if method == "PUT" else None)
        assert refused.value.code == 403, method
