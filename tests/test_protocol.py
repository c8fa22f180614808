"""The wire protocol's contract: the checked-in JSON Schema is the one the models generate, and real messages
conform to it (the jest suite validates the TypeScript side's fixtures against the same file)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from opencodeinterpreter_lab import protocol


def test_the_checked_in_schema_is_generated_from_the_models() -> None:
    checked_in = protocol.SCHEMA_PATH.read_text(encoding="utf-8")
    assert checked_in == protocol.schema_text(), "run: python -m opencodeinterpreter_lab.protocol"


def test_the_protocol_module_imports_nothing_else_from_the_package() -> None:
    tree = ast.parse(Path(protocol.__file__).read_text(encoding="utf-8"))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.startswith(("opencodeinterpreter_lab", "."))], imported
    assert all(n.level == 0 for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))


@pytest.mark.parametrize(
    "message",
    [
        protocol.DoneMessage(
            id="f",
            usage=protocol.Usage(),
            timings=protocol.Timings(),
            cancelled=False,
            outcome=protocol.FixOutcome(status="fixed", source="x = 1", rounds=1, message=""),
        ),
        protocol.DoneMessage(
            id="t",
            usage=protocol.Usage(prompt_tokens=3),
            timings=protocol.Timings(first_token_s=0.5),
            cancelled=False,
            outcome=protocol.TaskOutcome(
                status="answered",
                rounds=2,
                message="",
                answer="42",
                transcript=[protocol.Message(role="user", content="sum it")],
            ),
        ),
        protocol.TokenMessage(type="token", id="c", text="hi"),
        protocol.TokenMessage(type="token", id="f", text="x", round=2),
        protocol.ErrorMessage(id=None, message="Malformed JSON"),
    ],
)
def test_server_messages_round_trip_through_the_union(message: Any) -> None:
    data = json.loads(json.dumps(protocol.wire(message)))
    parsed = TypeAdapter(protocol.ServerMessage).validate_python(data)
    assert parsed == message


def test_outcomes_are_told_apart_by_kind_not_by_shape() -> None:
    schema = protocol.json_schema()["$defs"]
    assert schema["FixOutcome"]["properties"]["kind"]["const"] == "fix"
    assert schema["TaskOutcome"]["properties"]["kind"]["const"] == "task"
    assert "kind" in schema["TaskOutcome"]["required"]
