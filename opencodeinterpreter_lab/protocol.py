"""The chat WebSocket's messages (see docs/protocol.md): parsing what clients send, building what we send back."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from .engine import EngineStatus, Generation

MAX_ID_LENGTH = 200


class ProtocolError(ValueError):
    """A client message we cannot act on. ``request_id`` is set when the message named one."""

    def __init__(self, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.request_id = request_id


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatRequest(BaseModel):
    type: Literal["chat"]
    id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    messages: list[Message] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1, le=65536)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)


class CancelRequest(BaseModel):
    type: Literal["cancel"]
    id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)


ClientMessage = Annotated[ChatRequest | CancelRequest, Field(discriminator="type")]
_client_message: TypeAdapter[ChatRequest | CancelRequest] = TypeAdapter(ClientMessage)


def parse_client_message(raw: str | bytes) -> ChatRequest | CancelRequest:
    """Validate one client message or raise :class:`ProtocolError` with a message a developer can act on."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise ProtocolError(f"Malformed JSON: {e}") from None
    if not isinstance(data, dict):
        raise ProtocolError("Each message must be a JSON object with a 'type'.")
    request_id = data.get("id") if isinstance(data.get("id"), str) else None
    if data.get("type") not in ("chat", "cancel"):
        raise ProtocolError(f"Unknown message type {data.get('type')!r}; expected 'chat' or 'cancel'.", request_id)
    try:
        return _client_message.validate_python(data)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'][1:]) or 'message'}: {err['msg']}" for err in e.errors()
        )
        raise ProtocolError(f"Invalid {data['type']} message: {problems}", request_id) from None


def status_message(status: EngineStatus) -> dict[str, Any]:
    return {"type": "status", "status": status.to_json()}


def token_message(request_id: str, text: str) -> dict[str, Any]:
    return {"type": "token", "id": request_id, "text": text}


def done_message(request_id: str, generation: Generation) -> dict[str, Any]:
    return {
        "type": "done",
        "id": request_id,
        "usage": {
            "prompt_tokens": generation.usage.prompt_tokens,
            "completion_tokens": generation.usage.completion_tokens,
        },
        "timings": {
            "first_token_s": generation.timings.first_token_s,
            "tokens_per_second": generation.timings.tokens_per_second,
        },
        "cancelled": generation.cancelled,
    }


def error_message(request_id: str | None, message: str) -> dict[str, Any]:
    return {"type": "error", "id": request_id, "message": message}
