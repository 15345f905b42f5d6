"""Rows and event payloads in the shapes the procedures produce become domain objects.

The payload texts below are written exactly as the procedures build them (a skeleton
with numbers, booleans and "T...Z" times concatenated in, user strings set by
JSON_MODIFY, absent optional keys left out), so this pins the contract between the
T-SQL and msgspec's decoder.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from parley.server.store.mssql_rows import (
    event_from_row,
    history_message,
    message_from_row,
    py_time,
    sql_time,
    summary_from_row,
)
from parley.shared.events import (
    ConversationChanged,
    MessageDeleted,
    MessageModerationStatusChanged,
    MessageSent,
    SendingBlockedForUser,
    UserEvent,
)
from parley.shared.models import Message, ModerationStatus, PreModerationStatus, Role

SENT_AT = datetime(2026, 11, 25, 12, 0, 1, 123456, tzinfo=UTC)


def test_times_travel_as_utc_iso_text_to_the_microsecond() -> None:
    eastern = SENT_AT.astimezone(timezone(timedelta(hours=-5)))
    assert sql_time(eastern) == "2026-11-25T12:00:01.123456"
    assert sql_time(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000000"
    assert py_time(datetime(2026, 11, 25, 12, 0, 1, 123456)) == SENT_AT
    assert py_time("2026-11-25 12:00:01.1234560") == SENT_AT  # FreeTDS, old TDS version


def test_message_sent_payload_as_send_message_writes_it() -> None:
    payload = (
        '{"kind":"MessageSent","message":{"id":42,"conversation_id":"3-7","sender_id":7,'
        '"receiver_id":3,"text":"say \\"hi\\"\\n\\u00e9","sent_at":"2026-11-25T12:00:01.123456Z",'
        '"message_type":0,"deleted":false,"unread":true,"premoderation_status":1,'
        '"moderation_status":0,"client_message_id":"c-1"}}'
    )
    event = event_from_row((7, 5, payload))
    assert event == UserEvent(
        user_id=7,
        seq=5,
        event=MessageSent(
            message=Message(
                id=42,
                conversation_id="3-7",
                sender_id=7,
                receiver_id=3,
                text='say "hi"\né',
                sent_at=SENT_AT,
                client_message_id="c-1",
                premoderation_status=PreModerationStatus.PENDING,
            )
        ),
    )


def test_the_other_payloads_as_the_procedures_write_them() -> None:
    rows = [
        (1, 1, '{"kind":"ConversationChanged","conversation_id":"1-2"}'),
        (1, 2, '{"kind":"SendingBlockedForUser","blocked":true,"reason":"spam \\/ flood"}'),
        (
            1,
            3,
            '{"kind":"MessageDeleted","message_id":9,"conversation_id":"1-2","for_everyone":false}',
        ),
        (
            1,
            4,
            '{"kind":"MessageModerationStatusChanged","message_id":9,"conversation_id":"1-2",'
            '"moderation_status":4,"premoderation_status":2,"reason":""}',
        ),
    ]
    assert [event_from_row(row).event for row in rows] == [
        ConversationChanged(conversation_id="1-2"),
        SendingBlockedForUser(blocked=True, reason="spam / flood"),
        MessageDeleted(message_id=9, conversation_id="1-2", for_everyone=False),
        MessageModerationStatusChanged(
            message_id=9,
            conversation_id="1-2",
            moderation_status=ModerationStatus.REMOVED,
            premoderation_status=PreModerationStatus.APPROVED,
        ),
    ]


MESSAGE_ROW = (
    42,
    "3-7",
    7,
    3,
    "hello",
    datetime(2026, 11, 25, 12, 0, 1, 123456),
    "c-1",
    0,
    '{"k":1}',
    True,
    False,
    2,
    4,
)


def test_message_rows_map_in_the_sqlite_column_order() -> None:
    message = message_from_row(MESSAGE_ROW)
    assert message.sent_at == SENT_AT
    assert message.payload == '{"k":1}'
    assert message.deleted
    assert not message.unread
    assert message.moderation_status is ModerationStatus.REMOVED


def test_history_withholds_text_of_deleted_or_removed_messages() -> None:
    shown = history_message(MESSAGE_ROW)
    assert shown.text == ""
    assert shown.payload is None


def test_side_rows_become_summaries_with_a_redacted_preview() -> None:
    row = (
        "3-7",
        3,
        False,
        True,
        2,
        datetime(2026, 11, 25, 11, 0),
        True,
        False,
        "bob",
        "Bob",
        "moderator",
        True,
        42,
        7,
        "x" * 500,
        datetime(2026, 11, 25, 12, 0, 1),
        False,
        0,
    )
    summary = summary_from_row(row)
    assert summary.other_user.role is Role.MODERATOR
    assert summary.pinned
    assert summary.blocked
    assert summary.unread_count == 2
    assert summary.last_message is not None
    assert len(summary.last_message.text) == 120
    removed = summary_from_row((*row[:16], False, int(ModerationStatus.REMOVED)))
    assert removed.last_message is not None
    assert removed.last_message.text == ""
    no_preview = summary_from_row((*row[:12], None, None, None, None, None, None))
    assert no_preview.last_message is None
