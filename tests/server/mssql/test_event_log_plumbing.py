"""GetEventsAfter as MssqlStore binds it and reads it back, against a scripted connection."""

from __future__ import annotations

from parley.shared.events import ConversationChanged, UserEvent

CHANGED = '{"kind":"ConversationChanged","conversation_id":"3-7"}'


async def test_the_log_end_is_read_with_a_null_position(harness) -> None:
    store, h = harness
    h.script["GetEventsAfter"] = [[[(41,)]], [[(0,)]]]

    start = await store.get_events_after(None, limit=0)
    empty_log = await store.get_events_after(None, limit=0)

    name, sql, params = h.calls[0]
    assert name == "GetEventsAfter"
    assert "@EventId = NULL" in sql
    assert params == (0,)
    assert (start.events, start.head) == ([], 41)
    assert empty_log.head == 0


async def test_events_after_a_position_come_back_in_log_order_with_their_positions(
    harness,
) -> None:
    store, h = harness
    h.script["GetEventsAfter"] = [[[(42, 7, 5, CHANGED), (44, 3, 9, CHANGED)]], [[]]]

    page = await store.get_events_after(41, limit=100)
    idle = await store.get_events_after(44, limit=100)

    assert h.calls[0][2] == (41, 100)
    changed = ConversationChanged(conversation_id="3-7")
    assert [(e.position, e.event) for e in page.events] == [
        (42, UserEvent(user_id=7, seq=5, event=changed)),
        (44, UserEvent(user_id=3, seq=9, event=changed)),
    ]
    assert page.head == 44
    assert (idle.events, idle.head) == ([], 44)
