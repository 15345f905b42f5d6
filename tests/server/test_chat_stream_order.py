"""A chat stream pushes its user's events in sequence order, even when another
process's event (brought by the event tail) trails a later one of this process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from parley.server.chat_stream import ChatStream
from parley.server.event_store import EventStore
from parley.server.store.sqlite import SqliteStore
from parley.shared import protocol as p
from parley.shared.events import SendingBlockedForUser, UserEvent
from parley.shared.models import Role

TIMEOUT = 5.0


class Pushed:
    """What the stream pushed to its connection, decoded."""

    def __init__(self) -> None:
        self.frames: list[object] = []
        self.changed = asyncio.Event()

    def push(self, data: bytes) -> None:
        self.frames.append(p.decode_server_frame(data))
        self.changed.set()

    def event_seqs(self) -> list[int]:
        return [f.seq for f in self.frames if isinstance(f, p.EventFrame)]

    async def until(self, seqs: list[int]) -> None:
        async with asyncio.timeout(TIMEOUT):
            while self.event_seqs() != seqs:
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "parley.db")
    await opened.open()
    yield opened
    await opened.close()


async def open_stream(
    store: SqliteStore, gap_wait_s: float
) -> tuple[ChatStream, EventStore, Pushed, int]:
    user = await store.create_user(
        username="bob", display_name="Bob", password_hash="x", role=Role.USER
    )
    events = EventStore()
    events.gap_wait_s = gap_wait_s
    pushed = Pushed()
    stream = ChatStream(user_id=user.id, store=store, push=pushed.push, coalesce_s=0.001)
    await stream.start(events, request_id=1, since=None, max_replay=100)
    assert isinstance(pushed.frames[-1], p.ChatStateSnapshot)
    return stream, events, pushed, user.id


def event(user_id: int, seq: int) -> UserEvent:
    return UserEvent(user_id=user_id, seq=seq, event=SendingBlockedForUser(blocked=seq % 2 == 1))


async def test_an_event_above_a_gap_waits_for_the_missing_one(store: SqliteStore) -> None:
    stream, events, pushed, user_id = await open_stream(store, gap_wait_s=60.0)
    try:
        events.publish([event(user_id, 2)])  # this process's own, published at once
        assert pushed.event_seqs() == []

        events.publish([event(user_id, 1)])  # another process's, from the tail

        assert pushed.event_seqs() == [1, 2]
        events.publish([event(user_id, 1), event(user_id, 2)])  # read back by the tail
        assert pushed.event_seqs() == [1, 2]
    finally:
        stream.close()


async def test_a_gap_that_stays_open_is_given_up_and_a_late_event_still_goes_out(
    store: SqliteStore,
) -> None:
    stream, events, pushed, user_id = await open_stream(store, gap_wait_s=0.05)
    try:
        events.publish([event(user_id, 1), event(user_id, 3), event(user_id, 4)])
        assert pushed.event_seqs() == [1]

        await pushed.until([1, 3, 4])  # 2 did not come within the wait

        events.publish([event(user_id, 2), event(user_id, 5), event(user_id, 3)])
        assert pushed.event_seqs() == [1, 3, 4, 2, 5]
    finally:
        stream.close()


async def test_without_a_tail_nothing_is_held(store: SqliteStore) -> None:
    stream, events, pushed, user_id = await open_stream(store, gap_wait_s=0.0)
    try:
        events.publish([event(user_id, 2)])

        assert pushed.event_seqs() == [2]
    finally:
        stream.close()


async def test_held_events_still_bring_a_chat_state_delta(store: SqliteStore) -> None:
    stream, events, pushed, user_id = await open_stream(store, gap_wait_s=60.0)
    try:
        events.publish([event(user_id, 2), event(user_id, 1)])

        async with asyncio.timeout(TIMEOUT):
            while not any(isinstance(f, p.ChatStateDeltaFrame) for f in pushed.frames):
                pushed.changed.clear()
                await pushed.changed.wait()
        delta = next(f for f in pushed.frames if isinstance(f, p.ChatStateDeltaFrame))
        assert delta.delta.base_version == 0
    finally:
        stream.close()
