"""Rows to domain objects and back, and the reads every SQLite transaction shares.

Times are stored as integer microseconds since the epoch (UTC), exact and cheap to
compare; events as the msgspec JSON of :data:`parley.shared.events.Event`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from parley.shared.events import Event, UserEvent
from parley.shared.models import Message, ModerationStatus, PreModerationStatus, Role, User

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)

_event_encoder = msgspec.json.Encoder()
_event_decoder: msgspec.json.Decoder[Event] = msgspec.json.Decoder(Event)


def now_micros() -> int:
    """The current time as the store keeps it: integer microseconds since the epoch, UTC."""
    return time.time_ns() // 1000


def to_micros(moment: datetime) -> int:
    """A datetime as microseconds since the epoch; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _ONE_US


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


MESSAGE_COLUMNS = (
    "MessageId, ConversationId, SenderId, ReceiverId, Text, DateTime, ClientMessageId, "
    "MessageType, PayloadJson, Deleted, Unread, PreModerationStatus, ModerationStatus"
)

MESSAGE_TABLES = ("ChatMessage", "ChatMessageCold")


def message_from_row(row: Sequence[Any]) -> Message:
    """A Message from a row selected with :data:`MESSAGE_COLUMNS` (in that order)."""
    return Message(
        id=row[0],
        conversation_id=row[1],
        sender_id=row[2],
        receiver_id=row[3],
        text=row[4],
        sent_at=from_micros(row[5]),
        client_message_id=row[6],
        message_type=row[7],
        payload=row[8],
        deleted=bool(row[9]),
        unread=bool(row[10]),
        premoderation_status=PreModerationStatus(row[11]),
        moderation_status=ModerationStatus(row[12]),
    )


USER_COLUMNS = "UserId, Username, DisplayName, Role"


def user_from_row(row: Sequence[Any]) -> User:
    return User(id=row[0], username=row[1], display_name=row[2], role=Role(row[3]))


def load_message(conn: sqlite3.Connection, message_id: int) -> tuple[Message, str] | None:
    """A message and the table it lives in (hot first: that is where recent ones are)."""
    for table in MESSAGE_TABLES:
        row = conn.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM {table} WHERE MessageId = ?", (message_id,)
        ).fetchone()
        if row is not None:
            return message_from_row(row), table
    return None


def is_deleted_for(conn: sqlite3.Connection, user_id: int, message_id: int) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM MessageDeletedForUser WHERE UserId = ? AND MessageId = ?",
            (user_id, message_id),
        ).fetchone()
        is not None
    )


def encode_event(event: Event) -> str:
    return _event_encoder.encode(event).decode("utf-8")


def decode_event(payload: str) -> Event:
    return _event_decoder.decode(payload)


def append_events(
    conn: sqlite3.Connection,
    addressed: Iterable[tuple[int, Event]],
    *,
    now_us: int,
    last_seqs: dict[int, int] | None = None,
) -> list[UserEvent]:
    """Number events in each addressee's sequence and write them, in this transaction.

    Reads ``LastEventSeq`` once per user (or takes it from ``last_seqs`` when the caller
    already read it) and writes it back once: one writer thread means nobody else can
    move it in between. Two statements whatever the number of events, because each
    statement costs more than the rows it writes.
    """
    items = list(addressed)
    if not items:
        return []
    users = list(dict.fromkeys(user_id for user_id, _ in items))
    if last_seqs is None:
        marks = ",".join("?" * len(users))
        last = dict(
            conn.execute(
                f"SELECT UserId, LastEventSeq FROM ChatUser WHERE UserId IN ({marks})", users
            ).fetchall()
        )
    else:
        last = dict(last_seqs)
    written: list[UserEvent] = []
    values: list[object] = []
    for user_id, event in items:
        seq = last[user_id] + 1
        last[user_id] = seq
        written.append(UserEvent(user_id=user_id, seq=seq, event=event))
        values += (user_id, seq, now_us, encode_event(event))
    conn.execute(
        "INSERT INTO UserEvent (UserId, Seq, CreatedAt, Payload) VALUES "
        + ",".join(["(?, ?, ?, ?)"] * len(items)),
        values,
    )
    cases = " ".join(["WHEN ? THEN ?"] * len(users))
    params: list[object] = [x for user_id in users for x in (user_id, last[user_id])]
    conn.execute(
        f"UPDATE ChatUser SET LastEventSeq = CASE UserId {cases} END "
        f"WHERE UserId IN ({','.join('?' * len(users))})",
        [*params, *users],
    )
    return written
