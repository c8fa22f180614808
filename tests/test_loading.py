"""The load lifecycle as a client sees it, on a server with its own engine (not the session's shared one)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.model


async def test_load_pushes_status_until_ready(jp_fetch: Any, connect: Any) -> None:
    """A fresh server (its own engine, not the session's) loads the embedded model on request, reporting states."""
    client = await connect()
    assert (await client.receive())["status"]["state"] == "absent"
    response = await jp_fetch("api", "opencodeinterpreter", "load", method="POST", body="")
    assert response.code == 202
    states = []
    while not states or states[-1] not in ("ready", "error"):
        message = await client.receive()
        assert message["type"] == "status"
        states.append(message["status"]["state"])
    assert states[0] == "loading"
    assert states[-1] == "ready", message
