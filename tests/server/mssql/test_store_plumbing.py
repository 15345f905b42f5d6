"""MssqlStore's Python side with a scripted connection standing in for SQL Server.

No server runs here, so these tests script what each procedure returns (result sets in
the shapes documented in their headers) and check what the store binds and builds: the
EXEC batches, OUTPUT values read last, duplicates fetched back, retries on a fresh
connection, and a connection dropped after an unexpected failure. The gated suite runs
the same code against a real server.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyodbc
import pytest

from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.events import ConversationChanged, MessageSent

SENT_AT = datetime(2026, 11, 25, 12, 0, 1, 250000, tzinfo=UTC)


def message_row(message_id: int = 42) -> tuple[Any, ...]:
    naive = SENT_AT.replace(tzinfo=None)
    return (message_id, "3-7", 7, 3, "hi", naive, "c-1", 0, None, False, True, 0, 0)


SENT_PAYLOAD = (
    '{"kind":"MessageSent","message":{"id":42,"conversation_id":"3-7","sender_id":7,'
    '"receiver_id":3,"text":"hi","sent_at":"2026-11-25T12:00:01.250000Z","message_type":0,'
    '"deleted":false,"unread":true,"premoderation_status":0,"moderation_status":0,'
    '"client_message_id":"c-1"}}'
)


async def test_send_message_binds_inputs_and_reads_outputs_last(harness) -> None:
    store, h = harness
    h.script["SendMessage"] = [
        [
            [
                (7, 1, SENT_PAYLOAD),
                (7, 2, '{"kind":"ConversationChanged","conversation_id":"3-7"}'),
            ],
            [("3-7", 42, True, 0, False)],
        ]
    ]
    outcome = await store.send_message(
        sender_id=7,
        receiver_id=3,
        text="hi",
        sent_at=SENT_AT,
        premoderate_first=False,
        client_message_id="c-1",
    )
    name, sql, params = h.calls[0]
    assert name == "SendMessage"
    assert "@PayloadJson = NULL" in sql
    assert params[:6] == (7, 3, "hi", "2026-11-25T12:00:01.250000", False, "c-1")
    assert outcome.result.is_first
    assert outcome.result.message.id == 42
    assert outcome.result.message.sent_at == SENT_AT
    assert [e.event for e in outcome.events] == [
        MessageSent(message=outcome.result.message),
        ConversationChanged(conversation_id="3-7"),
    ]


async def test_a_duplicate_send_returns_the_stored_first_message(harness) -> None:
    store, h = harness
    h.script["SendMessage"] = [[[("3-7", 42, False, 0, True)]]]
    h.script["GetMessage"] = [[[message_row()]]]
    outcome = await store.send_message(
        sender_id=7,
        receiver_id=3,
        text="edited on retry",
        sent_at=SENT_AT,
        premoderate_first=False,
        client_message_id="c-1",
    )
    assert outcome.result.duplicate
    assert outcome.events == []
    assert outcome.result.message.text == "hi"  # what was stored the first time
    assert [c[0] for c in h.calls] == ["SendMessage", "GetMessage"]


async def test_a_write_conflict_is_retried_and_a_broken_link_reconnects(harness) -> None:
    store, h = harness
    conflict = pyodbc.ProgrammingError("42000", "[SQL Server]conflict (41302)")
    broken = pyodbc.OperationalError("08S01", "Communication link failure (0)")
    h.script["GetUser"] = [conflict, broken, [[(5, "eve", "Eve", "user")]]]
    user = await store.get_user(5)
    assert user is not None
    assert user.username == "eve"
    assert len(h.calls) == 3
    assert len(h.connections) == 2  # the broken one was replaced
    assert h.connections[0].closed


async def test_a_refusal_keeps_the_connection_and_a_bug_drops_it(harness) -> None:
    store, h = harness
    refusal = pyodbc.ProgrammingError("42000", "[SQL Server]No such conversation. (51000)")
    bug = pyodbc.ProgrammingError("42000", "[SQL Server]Invalid column name 'Nope'. (207)")
    h.script["SetConversationPinned"] = [refusal, bug]
    with pytest.raises(ParleyError) as refused:
        await store.set_conversation_pinned(user_id=3, conversation_id="3-7", pinned=True)
    assert refused.value.code == ErrorCode.NOT_FOUND
    assert refused.value.message == "No such conversation."
    assert not h.connections[0].closed
    with pytest.raises(pyodbc.ProgrammingError):
        await store.set_conversation_pinned(user_id=3, conversation_id="3-7", pinned=True)
    assert h.connections[0].closed  # it may hold an open transaction: not reused


async def test_strangers_are_refused_before_any_call(harness) -> None:
    store, h = harness
    with pytest.raises(ParleyError) as refused:
        await store.mark_conversation_read(user_id=9, conversation_id="3-7", up_to_message_id=None)
    assert refused.value.code == ErrorCode.NOT_FOUND
    assert h.calls == []


async def test_event_pages_say_whether_they_bring_the_client_up_to_date(harness) -> None:
    store, h = harness
    changed = '{"kind":"ConversationChanged","conversation_id":"3-7"}'
    h.script["GetEventsSince"] = [
        [[(3,)], [(2, changed), (3, changed)]],
        [[(5,)], [(2, changed), (3, changed)]],
        [[(3,)]],
    ]
    complete = await store.get_events_since(7, 1, limit=2)
    assert complete.complete
    assert [e.seq for e in complete.events] == [2, 3]
    assert not (await store.get_events_since(7, 1, limit=2)).complete  # more are waiting
    assert (await store.get_events_since(7, 3, limit=2)).complete  # nothing missed
