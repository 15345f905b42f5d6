"""Scale-out and retention around the worker: shards share the queue, archiving spares it."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from parley.server.moderation.bands import Decision
from parley.server.moderation.decision import Message as Candidate
from parley.server.moderation.decision import Moderator
from parley.server.moderation.worker import ModerationWorker, Shard, ShardError, WorkerSettings
from parley.server.store.sqlite import SqliteStore
from parley.shared.events import MessageModerationStatusChanged, UserEvent
from parley.shared.models import ModerationStatus, PreModerationStatus

from .pipeline import CLEAN, HATEFUL, PROFANE, make_user, rules_moderator, send


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "parley.db")
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
def moderator(tmp_path: Path) -> Moderator:
    return rules_moderator(tmp_path)


def told_sender(events: list[UserEvent], sender_id: int) -> list[int]:
    return [
        e.event.message_id
        for e in events
        if e.user_id == sender_id and isinstance(e.event, MessageModerationStatusChanged)
    ]


def decision_rows(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT MessageId FROM ModerationDecision ORDER BY 1")]


async def test_two_shards_decide_each_message_exactly_once(
    store: SqliteStore, moderator: Moderator, tmp_path: Path
) -> None:
    alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
    ids = [await send(store, alice, bob, f"{CLEAN} {n}") for n in range(37)]
    ids.append(await send(store, alice, bob, PROFANE))
    published: list[UserEvent] = []
    shards = [
        ModerationWorker(
            store,
            rules_moderator(tmp_path),
            publish=published.extend,
            settings=WorkerSettings(batch_size=4, shard=Shard(k, 2)),
        )
        for k in range(2)
    ]

    taken = await asyncio.gather(*(w.drain() for w in shards))

    messages = [await store.get_message(i) for i in ids]
    assert taken == [sum(1 for m in messages if m and Shard(k, 2).owns(m)) for k in range(2)]
    assert 0 not in taken  # the texts differ: both shards had work
    assert [w.decided for w in shards] == taken  # nothing skipped: no overlap at all
    assert sorted(told_sender(published, alice.id)) == ids  # one change per message
    assert decision_rows(tmp_path / "parley.db") == ids
    assert await store.get_unmoderated_messages(after_id=0, limit=100) == []
    profane = await store.get_message(ids[-1])
    assert profane is not None
    assert profane.moderation_status is ModerationStatus.FLAGGED


async def test_a_shard_leaves_the_other_shards_messages_queued(
    store: SqliteStore, moderator: Moderator
) -> None:
    alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
    ids = [await send(store, alice, bob, f"{CLEAN} {n}") for n in range(10)]
    shard = Shard(1, 3)
    before = await store.get_unmoderated_messages(after_id=0, limit=100)
    worker = ModerationWorker(store, moderator, settings=WorkerSettings(batch_size=2, shard=shard))

    assert await worker.drain() == sum(1 for m in before if shard.owns(m))

    queued = [m.id for m in await store.get_unmoderated_messages(after_id=0, limit=100)]
    assert queued == [m.id for m in before if not shard.owns(m)]
    assert 0 < len(queued) < len(ids)
    assert worker.cursor == ids[-1]  # it read past the others' rows without deciding them
    assert await worker.drain() == 0


async def test_an_unsharded_worker_overlapping_shards_applies_nothing_twice(
    store: SqliteStore, moderator: Moderator, tmp_path: Path
) -> None:
    """A reconfiguration (say 2 shards → 1 worker) may overlap for a while: harmless."""
    alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
    ids = [await send(store, alice, bob, f"{CLEAN} {n}") for n in range(30)]
    published: list[UserEvent] = []
    workers = [
        ModerationWorker(
            store,
            rules_moderator(tmp_path),
            publish=published.extend,
            settings=WorkerSettings(batch_size=3, shard=shard),
        )
        for shard in (Shard(0, 2), Shard(1, 2), Shard())
    ]

    await asyncio.gather(*(w.drain() for w in workers))

    assert sum(w.decided for w in workers) == len(ids)
    assert sorted(told_sender(published, alice.id)) == ids
    assert decision_rows(tmp_path / "parley.db") == ids


async def test_identical_texts_go_to_one_shard_so_each_is_scored_once(
    store: SqliteStore, moderator: Moderator
) -> None:
    """Repeated texts (chatter, a spam campaign varied in case or leetspeak) stay
    together: one process's caches and spam state see all of them."""
    groups = [
        ["ok", "OK", "Ok"],
        ["lol", "LOL"],
        [
            "check out my great new crypto offer today",
            "Check out my GREAT new crypto offer today",
            "ch3ck out my gr3at n3w crypt0 0ffer t0day",
        ],
    ]
    people = [await make_user(store, f"user{n}") for n in range(4)]
    for receiver in people[1:]:
        for group in groups:
            for text in group:
                await send(store, people[0], receiver, text)
    queued = await store.get_unmoderated_messages(after_id=0, limit=100)
    assert len(queued) == 3 * 8
    for count in (2, 3, 5):
        for group in groups:
            owners = {
                k
                for k in range(count)
                for m in queued
                if m.text in group and Shard(k, count).owns(m)
            }
            assert len(owners) == 1, (group, count, owners)


@pytest.mark.parametrize(
    ("text", "expected"), [("0/1", Shard(0, 1)), ("2/3", Shard(2, 3)), (" 1 / 4 ", Shard(1, 4))]
)
def test_a_shard_is_written_k_slash_n(text: str, expected: Shard) -> None:
    assert Shard.parse(text) == expected
    assert str(expected) == f"{expected.index}/{expected.count}"


@pytest.mark.parametrize("text", ["2/2", "-1/2", "1/0", "1", "a/b", "", "1/2/3"])
def test_a_bad_shard_is_refused_with_a_sentence(text: str) -> None:
    with pytest.raises(ShardError) as refused:
        Shard.parse(text)
    assert "shard" in str(refused.value)
    assert "0/2" in str(refused.value)  # the message shows what a good one looks like


class SlowFirstBatch:
    """The real engine, but the first batch's decision finishes last."""

    def __init__(self, inner: Moderator) -> None:
        self.inner = inner
        self.calls = 0
        self.second_started = asyncio.Event()

    async def decide_many(self, messages: Sequence[Candidate]) -> list[Decision]:
        self.calls += 1
        decisions = await self.inner.decide_many(messages)
        if self.calls == 1:
            async with asyncio.timeout(10):
                await self.second_started.wait()  # the next batch is being decided meanwhile
        else:
            self.second_started.set()
        return decisions


async def test_batches_decided_ahead_are_still_applied_in_id_order(
    store: SqliteStore, moderator: Moderator
) -> None:
    alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
    ids = [await send(store, alice, bob, text) for text in (CLEAN, PROFANE, HATEFUL, CLEAN)]
    published: list[UserEvent] = []
    engine = SlowFirstBatch(moderator)
    worker = ModerationWorker(
        store, engine, publish=published.extend, settings=WorkerSettings(batch_size=2)
    )

    assert await worker.drain() == 4

    assert engine.calls == 2
    assert told_sender(published, alice.id) == ids


async def test_archiving_keeps_undecided_messages_in_the_workers_queue(
    store: SqliteStore, moderator: Moderator, tmp_path: Path
) -> None:
    """An old backlog (the worker was down for longer than the archive age) is not
    archived away from the worker: it is decided first, then archived."""
    alice, bob, carol = [await make_user(store, n) for n in ("alice", "bob", "carol")]
    waiting = await send(store, alice, bob, CLEAN)
    held = await send(store, carol, bob, HATEFUL, premoderate=True)  # to review: stays held
    future = datetime.now(UTC) + timedelta(days=1)

    assert await store.archive_messages(older_than=future, batch_size=100) == 0
    queued = [m.id for m in await store.get_unmoderated_messages(after_id=0, limit=10)]
    assert queued == [waiting, held]

    assert await ModerationWorker(store, moderator).drain() == 2
    assert await store.archive_messages(older_than=future, batch_size=100) == 1
    with sqlite3.connect(tmp_path / "parley.db") as conn:
        cold = [r[0] for r in conn.execute("SELECT MessageId FROM ChatMessageCold")]
        hot = [r[0] for r in conn.execute("SELECT MessageId FROM ChatMessage")]
    assert cold == [waiting]
    assert hot == [held]  # in review and still held: its vote will find it hot
    message = await store.get_message(held)
    assert message is not None
    assert message.moderation_status is ModerationStatus.IN_REVIEW
    assert message.premoderation_status is PreModerationStatus.PENDING
