"""SQL Server rows to domain objects and Python values to procedure parameters.

The procedures return the same columns, in the same order, as the SQLite store reads
(``sqlite_rows.MESSAGE_COLUMNS``), so both stores build identical objects. Times are
datetime2(6) in UTC: sent as ISO 8601 text (exact to the microsecond with every driver,
where FreeTDS would round a bound datetime to milliseconds) and read back as aware UTC
datetimes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from parley.shared.conversations import PREVIEW_LENGTH, redacted
from parley.shared.events import Event, UserEvent
from parley.shared.models import (
    ConversationSummary,
    Message,
    MessagePreview,
    ModerationStatus,
    PreModerationStatus,
    Role,
    User,
)

_event_decoder = msgspec.json.Decoder(Event)


def sql_time(moment: datetime) -> str:
    """A datetime as the ISO 8601 text of its UTC instant; a naive one is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def py_time(value: datetime | str) -> datetime:
    """A datetime2 column as an aware UTC datetime (FreeTDS with old TDS gives text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace(" ", "T")[:26])
    return value.replace(tzinfo=UTC)


def user_from_row(row: Sequence[Any]) -> User:
    """UserId, Username, DisplayName, Role."""
    return User(id=int(row[0]), username=row[1], display_name=row[2], role=Role(row[3]))


def message_from_row(row: Sequence[Any]) -> Message:
    """MessageId, ConversationId, SenderId, ReceiverId, Text, DateTime, ClientMessageId,
    MessageType, PayloadJson, Deleted, Unread, PreModerationStatus, ModerationStatus."""
    return Message(
        id=int(row[0]),
        conversation_id=str(row[1]),
        sender_id=int(row[2]),
        receiver_id=int(row[3]),
        text=row[4],
        sent_at=py_time(row[5]),
        client_message_id=row[6],
        message_type=int(row[7]),
        payload=row[8],
        deleted=bool(row[9]),
        unread=bool(row[10]),
        premoderation_status=PreModerationStatus(int(row[11])),
        moderation_status=ModerationStatus(int(row[12])),
    )


def event_from_row(row: Sequence[Any]) -> UserEvent:
    """UserId, Seq, Payload (the msgspec JSON of an Event, written by the procedure)."""
    return UserEvent(user_id=int(row[0]), seq=int(row[1]), event=_event_decoder.decode(row[2]))


def events_from_rows(rows: Sequence[Sequence[Any]]) -> list[UserEvent]:
    return [event_from_row(row) for row in rows]


def summary_from_row(row: Sequence[Any]) -> ConversationSummary:
    """A side as GetChatState / GetConversations return it (see their headers)."""
    preview: MessagePreview | None = None
    if row[12] is not None:
        withheld = bool(row[16]) or int(row[17]) == ModerationStatus.REMOVED
        preview = MessagePreview(
            id=int(row[12]),
            sender_id=int(row[13]),
            text="" if withheld else str(row[14])[:PREVIEW_LENGTH],
            sent_at=py_time(row[15]),
            deleted=bool(row[16]),
            moderation_status=ModerationStatus(int(row[17])),
        )
    return ConversationSummary(
        conversation_id=str(row[0]),
        other_user=User(id=int(row[1]), username=row[8], display_name=row[9], role=Role(row[10])),
        last_message=preview,
        unread_count=int(row[4]),
        archived=bool(row[2]),
        pinned=bool(row[3]),
        hidden=bool(row[7]),
        initiated_by_user=bool(row[6]),
        blocked=bool(row[11]),
        created_at=py_time(row[5]),
    )


def history_message(row: Sequence[Any]) -> Message:
    """A history row as the reader receives it: deleted or removed ones without text."""
    return redacted(message_from_row(row))
