"""docs/protocol.md is the contract: it must say exactly what the code does.

Every frame type, every field (name, type, default, in order) of every frame, object and
event, every error code, and every line of the example exchange are checked against
``parley.shared``; a change to the protocol that the document does not follow fails here.
"""

from __future__ import annotations

import datetime
import enum
import re
import types
import typing
from pathlib import Path

import msgspec
import pytest

from parley.shared import events, models
from parley.shared import protocol as p
from parley.shared.errors import ErrorCode, ParleyError

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
SERVER_FRAME_TYPES = {c.__struct_config__.tag: c for c in typing.get_args(p.ServerFrame)}
OBJECTS = [
    p.Limits,
    models.User,
    models.Message,
    models.MessagePreview,
    models.ConversationSummary,
    models.ChatState,
    models.ChatStateDelta,
]
EVENTS = {c.__struct_config__.tag: c for c in typing.get_args(events.Event)}


def sections() -> dict[str, str]:
    """Body of each ``### `name` `` section (and each ``## `` section by its title)."""
    text = DOC.read_text()
    found: dict[str, str] = {}
    for match in re.finditer(r"^(#{2,3}) (.+?)\n(.*?)(?=^#{2,3} |\Z)", text, re.M | re.S):
        found[match.group(2).strip("`")] = match.group(3)
    return found


def rows(body: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in body.splitlines()
        if line.startswith("| `")
    ]


def type_name(t: object) -> str:
    """How the document writes a field's type."""
    if t is int:
        return "int"
    if t is str:
        return "str"
    if t is bool:
        return "bool"
    if t is datetime.datetime:
        return "time"
    if t is type(None):
        return "null"
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        args = typing.get_args(t)
        if set(args) == {int, str}:
            return "id"
        if set(args) == {int, str, type(None)}:
            return "id or null"
        if set(args) == set(typing.get_args(events.Event)):
            return "event object"
        return " or ".join(type_name(a) for a in args)
    if typing.get_origin(t) is list:
        return f"[{type_name(typing.get_args(t)[0])}]"
    if isinstance(t, type) and issubclass(t, enum.IntEnum):
        return f"int ({t.__name__})"
    if isinstance(t, type) and issubclass(t, enum.StrEnum):
        return f"str ({t.__name__})"
    if isinstance(t, type) and issubclass(t, msgspec.Struct):
        return f"{t.__name__} object"
    raise AssertionError(f"the document has no way to write {t!r}")


def default_text(field: msgspec.structs.FieldInfo) -> str:
    if field.required:
        return "required"
    value = field.default if field.default is not msgspec.NODEFAULT else field.default_factory()
    if isinstance(value, enum.Enum):
        value = value.value
    return f"`{msgspec.json.encode(value).decode()}`"


def expected_rows(cls: type[msgspec.Struct]) -> list[list[str]]:
    return [
        [f"`{f.name}`", type_name(f.type), default_text(f)] for f in msgspec.structs.fields(cls)
    ]


DOCUMENTED: list[tuple[str, type[msgspec.Struct]]] = [
    *p.CLIENT_FRAME_TYPES.items(),
    *SERVER_FRAME_TYPES.items(),
    *((cls.__name__, cls) for cls in OBJECTS),
    *EVENTS.items(),
]


@pytest.mark.parametrize(("name", "cls"), DOCUMENTED, ids=[name for name, _ in DOCUMENTED])
def test_every_frame_object_and_event_is_documented_field_by_field(
    name: str, cls: type[msgspec.Struct]
) -> None:
    found = sections()
    assert name in found, f"docs/protocol.md has no section ### `{name}`"
    documented = [row[:3] for row in rows(found[name])]
    assert documented == expected_rows(cls)
    assert all(row[3] for row in rows(found[name])), "every field needs a meaning"


def test_every_error_code_is_documented_and_no_other() -> None:
    documented = [row[0].strip("`") for row in rows(sections()["Error codes"])]
    assert documented == [code.value for code in ErrorCode]
    assert all(row[1] for row in rows(sections()["Error codes"]))


def test_every_event_kind_is_in_the_stream_table() -> None:
    body = sections()["The chat-state stream, events and sequence numbers"]
    assert [row[0].strip("`") for row in rows(body)] == list(EVENTS)


def test_the_example_exchange_is_valid_protocol() -> None:
    block = DOC.read_text().split("## Example exchange", 1)[1].split("```text\n", 1)[1]
    lines = block.split("```", 1)[0].splitlines()
    assert len(lines) > 20
    expected_error: ErrorCode | None = None
    kinds: set[str] = set()
    for line in lines:
        direction, data = line[:2], line[2:]
        if direction == "> ":
            try:
                kinds.add(p.decode_client_frame(data).__struct_config__.tag)
                expected_error = None
            except ParleyError as exc:
                expected_error = exc.code
        else:
            assert direction == "< ", line
            frame = p.decode_server_frame(data)
            kinds.add(frame.__struct_config__.tag)
            if expected_error is not None:
                assert isinstance(frame, p.Error)
                assert frame.code is expected_error
                expected_error = None
    assert {"hello", "welcome", "send", "sent", "event", "chat_state_delta", "error"} <= kinds
