"""Tornado handlers: authenticate, authorize, validate, then hand over to the engine or a chat session."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any, Protocol, cast

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.extension.handler import ExtensionHandlerMixin
from pydantic import ValidationError
from tornado import web, websocket

from ..completion.service import InlineCompletions
from ..engine.switch import SwitchInProgress
from ..protocol import ConversationUpdate, ModelSwitch, Status, StatusMessage, wire
from .conversations import ConversationStore, InvalidPath
from .kernels import LiveKernelReader
from .picker import ModelPicker, UnknownModel
from .session import ChatSession

if TYPE_CHECKING:
    from ..engine.base import Engine, EngineStatus
    from .session import GenerationDefaults

AUTH_RESOURCE = "opencodeinterpreter"


class Assistant(Protocol):
    """What the handlers need of the extension app (``app.py``): its engine and the generation defaults."""

    engine: Engine
    conversations: ConversationStore
    picker: ModelPicker
    model_picker: bool
    completions: InlineCompletions | None

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


class ModelsHandler(_AssistantHandler, APIHandler):
    """The model picker: GET the models offered, POST ``ModelSwitch`` to switch (202), DELETE to cancel."""

    @property
    def picker(self) -> ModelPicker:
        if not self.assistant.model_picker:
            raise web.HTTPError(403, "The administrator has turned the model picker off.")
        return self.assistant.picker

    async def _answer(self, status: int = 200) -> None:
        listing = await self.picker.listing()
        self.set_status(status)
        self.finish(listing.model_dump_json())

    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._answer()

    @web.authenticated
    @authorized
    async def post(self) -> None:
        try:
            request = ModelSwitch.model_validate_json(self.request.body)
        except ValidationError as e:
            raise web.HTTPError(400, f"Invalid model switch: {e.errors()[0]['msg']}") from None
        try:
            started = await self.picker.switch(request.model)
        except UnknownModel as e:
            raise web.HTTPError(400, str(e)) from None
        except SwitchInProgress as e:
            raise web.HTTPError(409, f"{e} Cancel it first.") from None
        await self._answer(202 if started else 200)

    @web.authenticated
    @authorized
    async def delete(self) -> None:
        self.picker.switcher.cancel()
        await self.picker.switcher.wait()
        await self._answer()


class ConversationHandler(_AssistantHandler, APIHandler):
    """The stored conversation of one notebook (``?path=``): GET, PUT (``ConversationUpdate``), DELETE."""

    MAX_BODY = 16_000_000

    @property
    def store(self) -> ConversationStore:
        return self.assistant.conversations

    def _path(self) -> str:
        path = self.get_query_argument("path", None)
        if path is None:
            raise web.HTTPError(400, "The notebook's path is missing (?path=…).")
        return path

    async def _call(self, method: Any, *args: Any) -> Any:
        try:
            return await asyncio.to_thread(method, *args)
        except InvalidPath as e:
            raise web.HTTPError(400, str(e)) from None

    @web.authenticated
    @authorized
    async def get(self) -> None:
        document = await self._call(self.store.load, self._path())
        self.finish(document.model_dump_json())

    @web.authenticated
    @authorized
    async def put(self) -> None:
        path = self._path()
        if len(self.request.body) > self.MAX_BODY:
            raise web.HTTPError(413, "The conversation is too large to store.")
        try:
            update = ConversationUpdate.model_validate_json(self.request.body)
        except ValidationError as e:
            raise web.HTTPError(400, f"Invalid conversation: {e.errors()[0]['msg']}") from None
        await self._call(self.store.save, path, update.entries)
        self.set_status(204)
        self.finish()

    @web.authenticated
    @authorized
    async def delete(self) -> None:
        await self._call(self.store.delete, self._path())
        self.set_status(204)
        self.finish()


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
        self._session = ChatSession(
            self.engine, self.assistant.generation_defaults, self._send, kernels, self.assistant.completions
        )
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
