"""GetEventsAfter: the whole database's event log in order, as a server's event tail reads it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from parley.server.store.interface import Store
from parley.shared.events import ConversationChanged, MessageReceived, MessageSent


async def test_a_reader_starts_at_the_end_and_sees_only_later_events(
    store: Store, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await send(alice, bob, "before")
    start = await store.get_events_after(None, limit=0)
    assert start.events == []

    sent = await send(alice, bob, "after")

    page = await store.get_events_after(start.head, limit=100)
    assert [e.event for e in page.events] == sent.events
    assert page.head == page.events[-1].position


async def test_positions_rise_across_users_in_commit_order(store: Store, make_user, send) -> None:
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    start = (await store.get_events_after(None, limit=0)).head
    first = await send(alice, bob, "one")
    second = await send(carol, alice, "two")

    page = await store.get_events_after(start, limit=100)

    positions = [e.position for e in page.events]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    assert [e.event for e in page.events] == first.events + second.events
    kinds = [type(e.event.event) for e in page.events]
    assert kinds.count(MessageSent) == kinds.count(MessageReceived) == 2
    assert kinds.count(ConversationChanged) == 4


async def test_a_limit_pages_through_the_log_without_skipping(
    store: Store, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    start = (await store.get_events_after(None, limit=0)).head
    written = [e for _ in range(3) for e in (await send(alice, bob)).events]

    read = []
    after = start
    while True:
        page = await store.get_events_after(after, limit=5)
        read += page.events
        if len(page.events) < 5:
            break
        after = page.head

    assert [e.event for e in read] == written
    assert page.head == read[-1].position


async def test_nothing_new_keeps_the_head_where_the_reader_is(
    store: Store, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await send(alice, bob)
    head = (await store.get_events_after(None, limit=0)).head

    page = await store.get_events_after(head, limit=100)

    assert (page.events, page.head) == ([], head)


async def test_positions_are_not_reused_once_pruning_emptied_the_log(
    store: Store, make_user, send
) -> None:
    """A reader at the old end must see what comes next (a plain SQLite rowid would
    start again from 1 in an empty table, below where the reader is)."""
    alice, bob = await make_user("alice"), await make_user("bob")
    for _ in range(3):
        await send(alice, bob)
    old_head = (await store.get_events_after(None, limit=0)).head
    await store.prune_events(older_than=datetime.now(UTC) + timedelta(minutes=1))
    fresh = await send(alice, bob)

    page = await store.get_events_after(old_head, limit=100)

    assert [e.event for e in page.events] == fresh.events
    assert page.events[0].position > old_head
