"""The chat WebSocket's messages (see docs/protocol.md): parsing what clients send, building what we send back."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from .engine.llama import EngineStatus, Timings, Usage
from .loop.core import Round
from .loop.fixer import FixOutcome
from .loop.task import TaskOutcome

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


class FailingCell(BaseModel):
    source: str
    outputs: list[dict[str, Any]] = Field(description="The failing run's outputs, in nbformat v4's shape.")


class FixRequest(BaseModel):
    """Start the fix loop on a failing cell of the live notebook; the client executes each proposal."""

    type: Literal["fix"]
    id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    cell: FailingCell
    context: list[str] = Field(default=[], max_length=500, description="Sources of the cells above, in order.")
    variables: str = Field(default="", max_length=4000)
    language: str = Field(default="python", max_length=40)
    max_rounds: int | None = Field(default=None, ge=1, le=10)
    kernel_id: str | None = Field(
        default=None,
        max_length=MAX_ID_LENGTH,
        description="The notebook's kernel: the server reads it silently for the prompt (variables, signatures).",
    )


class TaskRequest(BaseModel):
    """Run a task in the live notebook: the model writes cells, the client inserts and runs each one."""

    type: Literal["task"]
    id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    messages: list[Message] = Field(min_length=1)
    language: str = Field(default="python", max_length=40)
    max_rounds: int | None = Field(default=None, ge=1, le=20)
    max_tokens: int | None = Field(default=None, ge=1, le=65536)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)


class ExecutionResultMessage(BaseModel):
    """What running a proposal in the live kernel produced."""

    type: Literal["execution_result"]
    id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    round: int = Field(ge=1)
    status: Literal["ok", "error", "timeout", "dead"]
    outputs: list[dict[str, Any]] = []
    message: str = ""


ClientRequest = ChatRequest | CancelRequest | FixRequest | TaskRequest | ExecutionResultMessage
ClientMessage = Annotated[ClientRequest, Field(discriminator="type")]
_client_message: TypeAdapter[ClientRequest] = TypeAdapter(ClientMessage)
_TYPES = ("chat", "cancel", "fix", "task", "execution_result")


def parse_client_message(raw: str | bytes) -> ClientRequest:
    """Validate one client message or raise :class:`ProtocolError` with a message a developer can act on."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise ProtocolError(f"Malformed JSON: {e}") from None
    if not isinstance(data, dict):
        raise ProtocolError("Each message must be a JSON object with a 'type'.")
    request_id = data.get("id") if isinstance(data.get("id"), str) else None
    if data.get("type") not in _TYPES:
        expected = ", ".join(repr(t) for t in _TYPES)
        raise ProtocolError(f"Unknown message type {data.get('type')!r}; expected one of {expected}.", request_id)
    try:
        return _client_message.validate_python(data)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'][1:]) or 'message'}: {err['msg']}" for err in e.errors()
        )
        raise ProtocolError(f"Invalid {data['type']} message: {problems}", request_id) from None


def status_message(status: EngineStatus) -> dict[str, Any]:
    return {"type": "status", "status": status.to_json()}


def token_message(request_id: str, text: str, round_number: int | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "token", "id": request_id, "text": text}
    if round_number is not None:
        message["round"] = round_number
    return message


def done_message(
    request_id: str,
    usage: Usage,
    timings: Timings,
    cancelled: bool,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "type": "done",
        "id": request_id,
        "usage": {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens},
        "timings": {"first_token_s": timings.first_token_s, "tokens_per_second": timings.tokens_per_second},
        "cancelled": cancelled,
        **extra,
    }


def proposal_message(request_id: str, loop_round: Round) -> dict[str, Any]:
    """Code to run (a fix to apply, or a task's next cell); the client answers with ``execution_result``."""
    assert loop_round.code is not None
    return {
        "type": "proposal",
        "id": request_id,
        "round": loop_round.number,
        "code": loop_round.code,
        "explanation": loop_round.explanation,
    }


def fix_outcome_json(outcome: FixOutcome, cause: tuple[int, list[str]] | None = None) -> dict[str, Any]:
    """``cause``: the index (in the request's ``context``) of the cell where the cause probably lay, and the names
    the fix changed that it defines (see :func:`~.cells.cause_cell`)."""
    return {
        "status": outcome.status,
        "source": outcome.source,
        "rounds": len(outcome.rounds),
        "message": outcome.message,
        "cause": {"cell": cause[0], "names": cause[1]} if cause else None,
    }


def task_outcome_json(outcome: TaskOutcome) -> dict[str, Any]:
    return {
        "status": outcome.status,
        "rounds": len(outcome.loop.rounds),
        "message": outcome.message,
        "answer": outcome.answer,
    }


def error_message(request_id: str | None, message: str) -> dict[str, Any]:
    return {"type": "error", "id": request_id, "message": message}
