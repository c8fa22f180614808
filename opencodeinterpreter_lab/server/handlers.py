"""Tornado handlers: authenticate, authorize, validate, then hand over to the engine or a chat session."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Protocol, cast

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web, websocket

from ..protocol import Status, StatusMessage, wire
from .kernels import LiveKernelReader
from .session import ChatSession

if TYPE_CHECKING:
    from ..engine.base import Engine, EngineStatus
    from .session import GenerationDefaults

AUTH_RESOURCE = "opencodeinterpreter"


class Assistant(Protocol):
    """What the handlers need of the extension app (``app.py``): its engine and the generation defaults."""

    engine: Engine

    @property
    def generation_defaults(self) -> GenerationDefaults: ...


class _AssistantHandler(ExtensionHandlerMixin):
    auth_resource = AUTH_RESOURCE

    @property
    def assistant(self) -> Assistant:
        return cast("Assistant", self.extensionapp)

    @property
    def engine(self) -> Engine:
        return self.assistant.engine


class StatusHandler(_AssistantHandler, APIHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.finish(json.dumps(self.engine.status.to_json()))


class LoadHandler(_AssistantHandler, APIHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        self.engine.start_loading()
        self.set_status(202)
        self.finish(json.dumps(self.engine.status.to_json()))


class ChatWebSocket(_AssistantHandler, WebSocketMixin, JupyterHandler, websocket.WebSocketHandler):
    """The streaming chat; one :class:`ChatSession` per connection."""

    _session: ChatSession | None = None
    _unsubscribe: Any = None
    _may_read_kernels = False

    async def pre_get(self) -> None:
        authorized = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "execute", AUTH_RESOURCE)
        )
        if not authorized:
            raise web.HTTPError(403)
        # Fixes read the notebook's kernel (silently): only for users the server lets use kernels.
        self._may_read_kernels = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "execute", "kernels")
        )

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        await self.pre_get()
        result = super().get(*args, **kwargs)
        if result is not None:
            await result

    def open(self, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)
        kernels = self._kernel_reader if self._may_read_kernels else None
        self._session = ChatSession(self.engine, self.assistant.generation_defaults, self._send, kernels)
        self._unsubscribe = self.engine.subscribe(self._on_status)
        self._on_status(self.engine.status)

    def on_message(self, message: str | bytes) -> None:
        assert self._session is not None
        self._session.handle(message)

    def on_close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._session is not None:
            self._session.close()

    def _kernel_reader(self, kernel_id: str) -> LiveKernelReader:
        return LiveKernelReader(self.kernel_manager, kernel_id)

    def _on_status(self, status: EngineStatus) -> None:
        self._send(wire(StatusMessage(status=Status(**status.to_json()))))

    def _send(self, message: dict[str, Any]) -> None:
        try:
            self.write_message(json.dumps(message))
        except websocket.WebSocketClosedError:
            self.on_close()
