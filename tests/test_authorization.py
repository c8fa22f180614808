"""Authorization: every route asks the server's authorizer for the `opencodeinterpreter` resource."""

from __future__ import annotations

from typing import Any

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError


class DenyAssistant(Authorizer):
    """Allows everything except this extension's resource."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource != "opencodeinterpreter"


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    return {**jp_server_config, "ServerApp": {**jp_server_config["ServerApp"], "authorizer_class": DenyAssistant}}


async def test_the_authorizer_is_asked_for_every_route(jp_fetch: Any, jp_ws_fetch: Any) -> None:
    routes = [
        ("GET", "status", {}),
        ("POST", "load", {}),
        ("GET", "models", {}),
        ("POST", "models", {}),
        ("DELETE", "models", {}),
        ("GET", "conversations", {"path": "a.ipynb"}),
        ("PUT", "conversations", {"path": "a.ipynb"}),
        ("DELETE", "conversations", {"path": "a.ipynb"}),
    ]
    for method, route, params in routes:
        body = {"body": '{"model": "qwen2.5-coder-0.5b", "entries": []}'} if method in ("POST", "PUT") else {}
        with pytest.raises(HTTPClientError) as refused:
            await jp_fetch("api", "opencodeinterpreter", route, method=method, params=params, **body)
        assert refused.value.code == 403, (method, route)
    with pytest.raises(HTTPClientError) as refused:
        await jp_ws_fetch("api", "opencodeinterpreter", "chat")
    assert refused.value.code == 403
    # Other routes still work: only this extension's resource is denied.
    assert (await jp_fetch("api", "status")).code == 200
