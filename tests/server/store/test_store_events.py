"""The per-user event sequence: numbered, durable, replayable, prunable."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from parley.server.store.interface import Store
from parley.shared.events import MessageReceived


async def test_events_are_numbered_per_user_and_replayable(store: Store, make_user, send) -> None:
    alice, bob, carol = await make_user("alice"), await make_user("bob"), await make_user("carol")
    written = []
    written += (await send(alice, bob)).events
    written += (await send(carol, bob)).events
    written += (await send(bob, alice)).events
    conversation = written[0].event.message.conversation_id
    written += (
        await store.mark_conversation_read(
            user_id=bob.id, conversation_id=conversation, up_to_message_id=None
        )
    ).events

    for user in (alice, bob, carol):
        mine = [e for e in written if e.user_id == user.id]
        assert [e.seq for e in mine] == list(range(1, len(mine) + 1))
        replay = await store.get_events_since(user.id, 0, limit=1000)
        assert replay.complete
        assert replay.events == mine
        assert replay.last_seq == len(mine)


async def test_resume_from_a_sequence_returns_only_what_was_missed(
    store: Store, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await send(alice, bob)
    seen = (await store.get_events_since(bob.id, 0, limit=100)).last_seq
    missed = (await send(alice, bob)).events

    page = await store.get_events_since(bob.id, seen, limit=100)

    assert page.complete
    assert page.events == [e for e in missed if e.user_id == bob.id]
    up_to_date = await store.get_events_since(bob.id, page.last_seq, limit=100)
    assert up_to_date.complete
    assert up_to_date.events == []


async def test_too_many_missed_events_ask_for_a_snapshot(store: Store, make_user, send) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    for _ in range(4):
        await send(alice, bob)

    page = await store.get_events_since(bob.id, 0, limit=3)

    assert not page.complete
    assert page.last_seq == 8
    assert [e.seq for e in page.events] == [1, 2, 3]


async def test_pruned_events_ask_for_a_snapshot(store: Store, make_user, send) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await send(alice, bob)

    pruned = await store.prune_events(older_than=datetime.now(UTC) + timedelta(minutes=1))

    assert pruned >= 4
    page = await store.get_events_since(bob.id, 0, limit=100)
    assert not page.complete
    assert page.last_seq == 2
    current = await store.get_events_since(bob.id, 2, limit=100)
    assert current.complete  # nothing was missed after the latest sequence
    later = (await send(alice, bob)).events
    assert [e.seq for e in later if e.user_id == bob.id] == [3, 4]  # numbering goes on


async def test_pruning_keeps_recent_events(store: Store, make_user, send) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await send(alice, bob)

    await store.prune_events(older_than=datetime.now(UTC) - timedelta(days=1))

    assert (await store.get_events_since(bob.id, 0, limit=100)).complete


async def test_a_sequence_ahead_of_the_log_asks_for_a_snapshot(store: Store, make_user) -> None:
    alice = await make_user("alice")

    page = await store.get_events_since(alice.id, 50, limit=100)

    assert not page.complete
    assert page.last_seq == 0


async def test_chat_state_and_its_version_come_from_one_commit(
    store: Store, make_user, send
) -> None:
    """Reads racing writes: every state read must match the events up to its version."""
    bob = await make_user("bob")
    senders = [await make_user(f"s{i}") for i in range(4)]

    async def write() -> None:
        for _ in range(10):
            await asyncio.gather(*(send(sender, bob) for sender in senders))

    async def read() -> list:
        seen = []
        while not writing.done():
            seen.append(await store.get_chat_state(bob.id))
        return seen

    writing = asyncio.ensure_future(write())
    states = await read()
    await writing
    log = (await store.get_events_since(bob.id, 0, limit=1000)).events

    assert states, "no read overlapped the writes"
    for state in states:
        received = sum(
            1 for e in log if e.seq <= state.version and isinstance(e.event, MessageReceived)
        )
        assert state.total_unread == received
