"""The event tail: the log positions it handles, and what it publishes from a real database.

Two :class:`SqliteStore` instances on one file stand for two processes: the tail reads
with one while the other writes, as a separate moderation worker or a ``parley user``
command does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from parley.server.event_tail import EventTail, LogCursor
from parley.server.store.interface import EventLogPage, LoggedEvent
from parley.server.store.sqlite import SqliteStore
from parley.shared.errors import StorageUnavailable
from parley.shared.events import MessageReceived, SendingBlockedForUser, UserEvent
from parley.shared.models import Role, User

TIMEOUT = 5.0


def entry(position: int, seq: int | None = None) -> LoggedEvent:
    event = SendingBlockedForUser(blocked=True, reason=str(position))
    return LoggedEvent(
        position=position, event=UserEvent(user_id=1, seq=seq or position, event=event)
    )


def reasons(events: Iterable[UserEvent]) -> list[str]:
    return [e.event.reason for e in events if isinstance(e.event, SendingBlockedForUser)]


# --- LogCursor (no I/O) ------------------------------------------------------------------


def test_the_cursor_moves_over_what_it_read_and_skips_it_next_time() -> None:
    cursor = LogCursor(10)

    assert reasons(cursor.take([entry(11), entry(12)], now=0.0)) == ["11", "12"]
    cursor.settle(now=0.0)

    assert cursor.position == 12
    assert cursor.take([entry(12)], now=0.0) == []


def test_a_hole_holds_the_cursor_until_its_event_commits() -> None:
    cursor = LogCursor(0, grace_s=10.0)
    cursor.take([entry(1), entry(3)], now=0.0)  # 2 was handed out, not yet committed
    cursor.settle(now=0.0)
    assert (cursor.position, cursor.holes) == (1, 1)

    # The next read starts below the hole: 3 comes again and is not published twice.
    assert reasons(cursor.take([entry(2), entry(3), entry(4)], now=1.0)) == ["2", "4"]
    cursor.settle(now=1.0)
    assert (cursor.position, cursor.holes) == (4, 0)


def test_a_hole_that_never_commits_is_passed_over_after_the_grace_period() -> None:
    cursor = LogCursor(0, grace_s=10.0)
    cursor.take([entry(1), entry(3)], now=0.0)

    cursor.settle(now=9.9)
    assert cursor.position == 1
    cursor.settle(now=10.0)
    assert (cursor.position, cursor.holes) == (3, 0)


# --- EventTail on a real SQLite file ---------------------------------------------------


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[SqliteStore, SqliteStore]]:
    """The server's store and another process's store, on the same database file."""
    server, other = SqliteStore(tmp_path / "parley.db"), SqliteStore(tmp_path / "parley.db")
    await server.open()
    await other.open()
    yield server, other
    await other.close()
    await server.close()


async def make_users(store: SqliteStore) -> tuple[User, User]:
    made = [
        await store.create_user(username=n, display_name=n, password_hash="x", role=Role.USER)
        for n in ("alice", "bob")
    ]
    return made[0], made[1]


async def send(store: SqliteStore, sender: User, receiver: User, n: int) -> list[UserEvent]:
    outcome = await store.send_message(
        sender_id=sender.id,
        receiver_id=receiver.id,
        text=f"message {n}",
        sent_at=datetime.now(UTC),
        premoderate_first=False,
        client_message_id=f"c{n}",
    )
    return outcome.events


async def test_the_tail_publishes_what_another_process_committed(stores) -> None:
    server, other = stores
    alice, bob = await make_users(other)
    await send(other, alice, bob, 0)  # before the tail starts: not the tail's to deliver
    published: list[UserEvent] = []
    tail = EventTail(server, published.extend, interval_s=60.0)
    await tail.start()
    try:
        written = await send(other, alice, bob, 1)
        blocked = (await other.set_sending_blocked(user_id=bob.id, blocked=True, reason="x")).events

        assert await tail.poll() == len(written) + len(blocked)
        assert published == written + blocked
        assert await tail.poll() == 0  # idle: one empty read
    finally:
        await tail.stop()


async def test_a_burst_larger_than_a_page_is_read_in_one_round(stores) -> None:
    server, other = stores
    alice, bob = await make_users(other)
    published: list[UserEvent] = []
    tail = EventTail(server, published.extend, interval_s=60.0, page_size=7)
    await tail.start()
    try:
        written = [e for n in range(25) for e in await send(other, alice, bob, n)]

        assert await tail.poll() == len(written) == 100
        assert published == written
    finally:
        await tail.stop()


async def test_the_tail_reads_on_after_the_log_was_pruned_empty(stores) -> None:
    server, other = stores
    alice, bob = await make_users(other)
    published: list[UserEvent] = []
    tail = EventTail(server, published.extend, interval_s=60.0)
    await tail.start()
    try:
        await send(other, alice, bob, 1)
        await tail.poll()
        await other.prune_events(older_than=datetime.now(UTC) + timedelta(minutes=1))
        published.clear()

        written = await send(other, alice, bob, 2)  # the log was empty
        await tail.poll()

        assert published == written
    finally:
        await tail.stop()


async def test_the_running_tail_delivers_without_being_asked(stores) -> None:
    server, other = stores
    alice, bob = await make_users(other)
    arrived = asyncio.Event()
    published: list[UserEvent] = []

    def publish(events: Iterable[UserEvent]) -> None:
        published.extend(events)
        if any(isinstance(e.event, MessageReceived) for e in published):
            arrived.set()

    tail = EventTail(server, publish, interval_s=0.01)
    await tail.start()
    try:
        written = await send(other, alice, bob, 1)
        async with asyncio.timeout(TIMEOUT):
            await arrived.wait()
        assert published[: len(written)] == written
    finally:
        await tail.stop()
    polls = tail.polls
    await asyncio.sleep(0)  # a stopped tail reads no more
    assert tail.polls == polls


class FailingOnce(SqliteStore):
    """A real store whose log read fails once after the tail started (a locked file,
    a dropped connection): the tail must keep its place and read again."""

    failed = False
    armed = False

    async def get_events_after(self, after: int | None, *, limit: int) -> EventLogPage:
        if self.armed and not self.failed:
            self.failed = True
            raise StorageUnavailable("The database is locked by another process.")
        return await super().get_events_after(after, limit=limit)


async def test_a_failed_read_loses_nothing_and_the_tail_keeps_running(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server, other = FailingOnce(tmp_path / "parley.db"), SqliteStore(tmp_path / "parley.db")
    await server.open()
    await other.open()
    arrived = asyncio.Event()
    published: list[UserEvent] = []

    def publish(events: Iterable[UserEvent]) -> None:
        published.extend(events)
        arrived.set()

    tail = EventTail(server, publish, interval_s=0.01)
    try:
        alice, bob = await make_users(other)
        await tail.start()
        server.armed = True
        written = await send(other, alice, bob, 1)
        async with asyncio.timeout(TIMEOUT):
            await arrived.wait()
        assert server.failed
        assert published == written
        assert "database is unavailable" in caplog.text
    finally:
        await tail.stop()
        await other.close()
        await server.close()
