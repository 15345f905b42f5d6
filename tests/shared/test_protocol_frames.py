"""The wire codec: every frame type decodes strictly, every bad frame gets its code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from parley.shared import protocol as p
from parley.shared.data_export import DataExport, ExportedUser
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.events import MessageReceived
from parley.shared.models import ChatState, ChatStateDelta, Message, User
from parley.shared.moderation import (
    AuditEntry,
    ModerationStats,
    ReviewItem,
    ReviewSource,
    ReviewVote,
    VoteChoice,
)

# One valid example per client frame type: the required fields only.
CLIENT_EXAMPLES: dict[str, dict[str, Any]] = {
    "hello": {"versions": [1]},
    "register": {"username": "ada", "password": "correct horse"},
    "login": {"username": "ada", "password": "correct horse"},
    "authenticate": {"token": "t0k3n"},
    "logout": {},
    "subscribe": {},
    "get_chat_state": {},
    "send": {"client_message_id": "c1", "to": 2, "text": "hi"},
    "mark_read": {"conversation_id": "1-2"},
    "delete_message": {"message_id": 5},
    "set_pinned": {"conversation_id": "1-2", "pinned": True},
    "set_archived": {"conversation_id": "1-2", "archived": True},
    "set_hidden": {"conversation_id": "1-2", "hidden": False},
    "block_user": {"user_id": 2},
    "flag_message": {"message_id": 5, "reason": "spam"},
    "history": {"conversation_id": "1-2"},
    "find_users": {"query": "ad"},
    "ping": {},
    "set_premoderation": {"message_id": 5, "approved": True},
    "set_sending_blocked": {"user_id": 2, "blocked": True},
    "export_my_data": {},
    "review_queue_list": {},
    "claim_review_item": {},
    "review_vote": {"item_id": 4, "choice": "remove"},
    "audit_log_list": {},
    "get_moderation_stats": {},
}


def frame_text(kind: str, **fields: Any) -> str:
    return msgspec.json.encode({"type": kind, "id": 7, **fields}).decode()


def refusal(data: str | bytes) -> ErrorCode:
    with pytest.raises(ParleyError) as caught:
        p.decode_client_frame(data)
    return caught.value.code


def test_examples_cover_every_client_frame_type() -> None:
    assert set(CLIENT_EXAMPLES) == set(p.CLIENT_FRAME_TYPES)


@pytest.mark.parametrize("kind", sorted(CLIENT_EXAMPLES))
def test_every_client_frame_decodes_to_its_struct_and_round_trips(kind: str) -> None:
    frame = p.decode_client_frame(frame_text(kind, **CLIENT_EXAMPLES[kind]))
    assert type(frame) is p.CLIENT_FRAME_TYPES[kind]
    assert frame.id == 7
    assert p.decode_client_frame(p.encode(frame)) == frame


@pytest.mark.parametrize("kind", sorted(CLIENT_EXAMPLES))
def test_every_client_frame_rejects_an_undeclared_field(kind: str) -> None:
    assert refusal(frame_text(kind, **CLIENT_EXAMPLES[kind], surprise=1)) is ErrorCode.INVALID_FIELD


@pytest.mark.parametrize("kind", sorted(k for k, v in CLIENT_EXAMPLES.items() if v))
def test_every_client_frame_rejects_a_missing_required_field(kind: str) -> None:
    fields = dict(CLIENT_EXAMPLES[kind])
    fields.pop(next(iter(fields)))
    assert refusal(frame_text(kind, **fields)) is ErrorCode.INVALID_FIELD


def test_wrong_typed_field_is_invalid_field_and_names_the_field() -> None:
    with pytest.raises(ParleyError) as caught:
        p.decode_client_frame(frame_text("send", client_message_id="c", to="two", text="x"))
    assert caught.value.code is ErrorCode.INVALID_FIELD
    assert "to" in caught.value.message


def test_request_id_is_required() -> None:
    assert refusal('{"type": "ping"}') is ErrorCode.INVALID_FIELD


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("{not json", ErrorCode.BAD_FRAME),
        ("", ErrorCode.BAD_FRAME),
        ("[1, 2]", ErrorCode.BAD_FRAME),
        ('"hello"', ErrorCode.BAD_FRAME),
        (b'{"type": "ping", "id": 1}', ErrorCode.BAD_FRAME),
        ('{"id": 1}', ErrorCode.INVALID_FIELD),
        ('{"type": "teleport", "id": 1}', ErrorCode.UNKNOWN_TYPE),
        ('{"type": "welcome", "id": 1}', ErrorCode.UNKNOWN_TYPE),  # a server frame
    ],
)
def test_unreadable_frames_get_their_code(data: str | bytes, code: ErrorCode) -> None:
    assert refusal(data) is code


def test_oversize_frame_is_frame_too_large() -> None:
    text = "x" * p.MAX_FRAME_BYTES
    assert refusal(frame_text("send", client_message_id="c", to=2, text=text)) is (
        ErrorCode.FRAME_TOO_LARGE
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ('{"type": "nope", "id": 12}', 12),
        ('{"type": "nope", "id": "r-1"}', "r-1"),
        ('{"type": "nope", "id": true}', None),
        ('{"type": "nope", "id": [1]}', None),
        ("[1]", None),
        ("{broken", None),
    ],
)
def test_request_id_of_a_rejected_frame(data: str, expected: object) -> None:
    assert p.request_id_of(data) == expected


def _message() -> Message:
    return Message(
        id=9,
        conversation_id="1-2",
        sender_id=1,
        receiver_id=2,
        text="hi",
        sent_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        client_message_id="c1",
    )


def _review_item() -> ReviewItem:
    at = datetime(2026, 1, 2, tzinfo=UTC)
    return ReviewItem(
        id=4,
        message=_message(),
        source=ReviewSource.FLAG,
        priority=15,
        votes_needed=3,
        votes=[ReviewVote(moderator_id=9, choice=VoteChoice.REMOVE, category="spam", cast_at=at)],
        lease_until=at,
        created_at=at,
    )


SERVER_EXAMPLES: list[msgspec.Struct] = [
    p.Welcome(
        id=1,
        protocol=1,
        server="parley",
        limits=p.Limits(
            max_text_length=1024,
            max_frame_bytes=65536,
            max_history_page=100,
            messages_per_minute=60,
        ),
    ),
    p.Ok(id=1),
    p.Pong(id="a"),
    p.Error(id=None, code=ErrorCode.BAD_FRAME, message="nope"),
    p.Session(
        id=1,
        user=User(id=1, username="ada", display_name="Ada"),
        expires_at=datetime(2027, 1, 1, tzinfo=UTC),
        token="tok",
    ),
    p.Subscribed(id=1, resumed=True, replayed=3),
    p.Sent(id=1, message=_message(), first=True, duplicate=False),
    p.HistoryPage(id=1, conversation_id="1-2", messages=[_message()], has_more=False),
    p.Users(id=1, users=[User(id=2, username="bob", display_name="Bob")]),
    p.ChatStateSnapshot(state=ChatState(version=3, conversations=[], total_unread=0)),
    p.ChatStateDeltaFrame(
        delta=ChatStateDelta(base_version=3, version=4, conversations=[], total_unread=1)
    ),
    p.EventFrame(seq=4, event=MessageReceived(message=_message())),
    p.DataExportFrame(
        id=2,
        export=DataExport(
            exported_at=datetime(2026, 1, 2, tzinfo=UTC),
            user=ExportedUser(id=1, username="ada", display_name="Ada"),
            conversations=[],
        ),
    ),
    p.ReviewQueue(id=3, items=[_review_item()]),
    p.ReviewItemFrame(id=4, item=_review_item()),
    p.AuditLog(
        id=5,
        entries=[
            AuditEntry(
                id=1,
                actor_id=9,
                action="claim",
                target_kind="review_item",
                target_id=4,
                created_at=datetime(2026, 1, 2, tzinfo=UTC),
            )
        ],
    ),
    p.ModerationStatsFrame(
        id=6,
        stats=ModerationStats(
            reviewed=2,
            accuracy=0.5,
            precision=None,
            recall=1.0,
            false_positive_rate=0.5,
            control_reviewed=0,
            control_missed=0,
            decisions=10,
            latency_p50_ms=3.5,
            latency_p99_ms=None,
            backlog=0,
            review_open=1,
        ),
    ),
]


@pytest.mark.parametrize("frame", SERVER_EXAMPLES, ids=lambda f: type(f).__name__)
def test_server_frames_round_trip(frame: msgspec.Struct) -> None:
    assert p.decode_server_frame(p.encode(frame)) == frame
    assert p.decode_server_frame(p.encode_bytes(frame)) == frame


def test_server_examples_cover_every_server_frame_type() -> None:
    import typing

    assert {type(f) for f in SERVER_EXAMPLES} == set(typing.get_args(p.ServerFrame))
