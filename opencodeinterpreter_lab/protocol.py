"""The wire protocol, both directions, as typed messages (see docs/protocol.md for the readable version).

This module imports nothing else from the package: it is the contract. ``protocol.schema.json`` beside it is
generated from these models (``python -m opencodeinterpreter_lab.protocol``); a pytest test fails when it is stale,
and a jest test validates the TypeScript types' fixtures against it, so that a change on either side that the
other does not share fails a test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

MAX_ID_LENGTH = 200
MAX_TOKENS = 32768
"""The limits of what a client may ask for, defined here once (the panel's settings schema is checked against the
generated schema)."""
MAX_TEMPERATURE = 2.0
MAX_FIX_ROUNDS = 10
MAX_FIX_CANDIDATES = 5
MAX_TASK_ROUNDS = 20
MAX_COMPLETION_TEXT = 1_000_000
MAX_COMPLETION_LINES = 20


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
    max_tokens: int | None = Field(default=None, ge=1, le=MAX_TOKENS)
    temperature: float | None = Field(default=None, ge=0.0, le=MAX_TEMPERATURE)


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
    max_rounds: int | None = Field(default=None, ge=1, le=MAX_FIX_ROUNDS)
    candidates: int | None = Field(
        default=None,
        ge=1,
        le=MAX_FIX_CANDIDATES,
        description="Fixes tried per round in copies of the kernel (needs kernel_id) until one passes there and is "
        "proposed; 1: one proposal per round, untried.",
    )
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
    max_rounds: int | None = Field(default=None, ge=1, le=MAX_TASK_ROUNDS)
    max_tokens: int | None = Field(default=None, ge=1, le=MAX_TOKENS)
    temperature: float | None = Field(default=None, ge=0.0, le=MAX_TEMPERATURE)


class CompleteRequest(BaseModel):
    """Ask for an inline completion at a cursor: the server streams the ghost text as ``token``s, then ``done``.
    A client cancels the previous one when the user types on (the server also does, on a newer request)."""

    type: Literal["complete"]
    id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    prefix: str = Field(max_length=MAX_COMPLETION_TEXT, description="The code before the cursor, in its cell.")
    suffix: str = Field(default="", max_length=MAX_COMPLETION_TEXT, description="The code after the cursor.")
    context: list[str] = Field(
        default=[], max_length=500, description="Sources of the cells above, in order (nearest last)."
    )
    max_lines: int = Field(default=3, ge=1, le=MAX_COMPLETION_LINES)
    model: str = Field(
        default="chat",
        max_length=MAX_ID_LENGTH,
        description="Which model completes: chat (the chat model, wherever it runs) or a local model's catalog key.",
    )


class ExecutionResultMessage(BaseModel):
    """What running a proposal in the live kernel produced."""

    type: Literal["execution_result"]
    id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    round: int = Field(ge=1)
    status: Literal["ok", "error", "timeout", "dead"]
    outputs: list[dict[str, Any]] = []
    message: str = ""


ClientRequest = ChatRequest | CancelRequest | FixRequest | TaskRequest | CompleteRequest | ExecutionResultMessage
ClientMessage = Annotated[ClientRequest, Field(discriminator="type")]
_client_message: TypeAdapter[ClientRequest] = TypeAdapter(ClientMessage)
_TYPES = ("chat", "cancel", "fix", "task", "complete", "execution_result")


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


# ---- server → client --------------------------------------------------------------------------------------------


class Sent(BaseModel):
    """A message the server sends: every field is always there (the schema says so, defaults included)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class Status(Sent):
    """The model's status (``GET /status``, ``POST /load``, and ``status`` pushes)."""

    model: str = Field(description="Display name of the model.")
    source: Literal["path", "hub", "embedded", "remote"] = Field(
        description="Where the model comes from; remote: an OpenAI-compatible server (see endpoint)."
    )
    state: Literal["absent", "loading", "ready", "error"]
    progress: float | None = Field(description="0..1 while a loading phase has a known size, else null.")
    message: str = Field(description='What is happening ("Assembling model"), or the error\'s reason.')
    n_ctx: int
    n_threads: int
    n_gpu_layers: int
    gpu_offload: bool = Field(description="Whether this llama.cpp build can offload to a GPU.")
    endpoint: str = Field(description="The remote server's URL, without credentials; empty for the local engine.")


class StatusMessage(Sent):
    type: Literal["status"] = "status"
    status: Status


class TokenMessage(BaseModel):
    type: Literal["token"]
    id: str
    text: str
    round: int | None = Field(default=None, description="The round of a fix or task; left out for a chat.")


class ProposalMessage(Sent):
    """Code to run: a fix to apply, or a task's next cell; the client answers with ``execution_result``."""

    type: Literal["proposal"] = "proposal"
    id: str
    round: int
    code: str
    explanation: str
    tried: bool = Field(default=False, description="The code passed in a copy of the kernel before it was proposed.")
    preview: str = Field(
        default="",
        description="What the code printed, displayed and set in that copy, in short text; empty when not tried.",
    )


class Usage(Sent):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Timings(Sent):
    first_token_s: float | None = None
    tokens_per_second: float | None = None


class FixCause(Sent):
    """Where the cause of a fixed failure probably lay: an earlier cell whose definitions the fix changed."""

    cell: int = Field(ge=0, description="The index of the cell in the request's context.")
    names: list[str]
    cause_source: str | None = Field(
        default=None,
        description="That cell with the fix's repairs in place, when the fix can be made there (else null).",
    )
    cell_source: str | None = Field(
        default=None,
        description="The failing cell's source to go with cause_source: its original when the fix changed nothing "
        "else there.",
    )


class FixOutcome(Sent):
    kind: Literal["fix"] = "fix"
    status: Literal["fixed", "failed", "no_code", "unchanged"]
    source: str = Field(description="The passing cell, or the original when nothing passed.")
    rounds: int
    message: str
    cause: FixCause | None = None


class TaskOutcome(Sent):
    kind: Literal["task"] = "task"
    status: Literal["answered", "max_rounds", "repeated"]
    rounds: int
    message: str
    answer: str = Field(description="The final answer (status answered), else empty.")
    transcript: list[Message] = Field(
        description="The conversation as the model saw it, the task's turns included: replay it to go on."
    )


Outcome = Annotated[FixOutcome | TaskOutcome, Field(discriminator="kind")]


class DoneMessage(Sent):
    """A request finished, normally or cancelled; a ``fix`` or ``task`` carries its outcome."""

    type: Literal["done"] = "done"
    id: str
    usage: Usage
    timings: Timings
    cancelled: bool
    outcome: Outcome | None = None


class ErrorMessage(Sent):
    """A request failed; ``id`` is null when the error cannot be tied to a request."""

    type: Literal["error"] = "error"
    id: str | None
    message: str


ServerMessage = Annotated[
    StatusMessage | TokenMessage | ProposalMessage | DoneMessage | ErrorMessage, Field(discriminator="type")
]


_server_message: TypeAdapter[Any] = TypeAdapter(ServerMessage)


def wire(message: BaseModel) -> dict[str, Any]:
    """A message as JSON-ready data (a chat's token without a round)."""
    return message.model_dump(mode="json", exclude_none=isinstance(message, TokenMessage))


# ---- stored conversations (REST: /api/opencodeinterpreter/conversations?path=…) ---------------------------------

MAX_CONVERSATION_PATH = 4096


class ConversationUpdate(BaseModel):
    """The body of a PUT: the panel's entries of one notebook's conversation, oldest first."""

    entries: list[dict[str, Any]] = Field(
        max_length=100_000,
        description="The panel's entries as plain JSON (src/chat/store.ts); opaque to the server, which keeps the "
        "newest within its bounds.",
    )


class ConversationDocument(Sent):
    """What a GET answers, and what each stored file holds: the notebook's path (the file's name is its hash)."""

    version: int = Field(default=1, description="The file format's version; the server reads version 1 only.")
    path: str = Field(max_length=MAX_CONVERSATION_PATH)
    updated: float = Field(default=0.0, description="When it was last saved, in seconds since the epoch; 0: never.")
    entries: list[dict[str, Any]] = []


# ---- the model picker (REST: /api/opencodeinterpreter/models) --------------------------------------------------


class ModelOption(Sent):
    """A model the picker offers."""

    key: str = Field(description="What to POST: a catalog key, a GGUF file's path, hub:<repo>/<file> or remote:<id>.")
    name: str
    description: str
    source: Literal["embedded", "hub", "path", "remote"]
    size: int | None = Field(description="Bytes, when known.")
    present: bool = Field(description="Usable without a download: assembled, parts installed, downloaded, served.")
    detail: str = Field(description='How it is present or what preparing it takes ("assembled in the cache").')
    tokens_per_second: float | None = Field(description="Decode speed last measured on this machine; null: never.")


class ModelPreparation(Sent):
    """A model being made ready (assembled, downloaded, loaded) while the current one keeps serving."""

    model: str = Field(description="Its key.")
    name: str
    state: Literal["preparing", "loading"]
    message: str
    progress: float | None = Field(description="0..1 when the phase has a known size, else null.")
    bytes_done: int | None
    bytes_total: int | None


class ModelList(Sent):
    """What ``GET /models`` answers (and POST/DELETE too)."""

    models: list[ModelOption]
    current: str = Field(description="The key of the model serving now.")
    preparing: ModelPreparation | None
    error: str = Field(description="Why the last preparation failed, in one sentence; empty when it did not.")


class ModelSwitch(BaseModel):
    """The body of ``POST /models``: switch to this model."""

    model: str = Field(min_length=1, max_length=MAX_CONVERSATION_PATH, description="A key or path from the list.")


# ---- the schema --------------------------------------------------------------------------------------------------

SCHEMA_PATH = Path(__file__).with_name("protocol.schema.json")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of every message (``$defs/ClientMessage``, ``$defs/ServerMessage``), of the REST status and of
    the stored conversations' REST bodies."""
    definitions: dict[str, Any] = {}
    for name, adapter, mode in (
        ("ClientMessage", _client_message, "validation"),
        ("ServerMessage", _server_message, "serialization"),
        ("ConversationUpdate", TypeAdapter(ConversationUpdate), "validation"),
        ("ConversationDocument", TypeAdapter(ConversationDocument), "serialization"),
        ("ModelList", TypeAdapter(ModelList), "serialization"),
        ("ModelSwitch", TypeAdapter(ModelSwitch), "validation"),
    ):
        schema = adapter.json_schema(ref_template="#/$defs/{model}", mode=mode)  # type: ignore[arg-type]
        definitions.update(schema.pop("$defs", {}))
        definitions[name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "OpenCodeInterpreter Lab wire protocol",
        "description": "Generated from opencodeinterpreter_lab/protocol.py; do not edit.",
        "$defs": dict(sorted(definitions.items())),
    }


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
