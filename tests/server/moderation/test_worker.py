"""The worker over a real SQLite store: order, band routing, held first messages, crashes."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from parley.server.moderation.bands import Decision, ReviewPriority
from parley.server.moderation.decision import Message as Candidate
from parley.server.moderation.decision import Moderator
from parley.server.moderation.review_queue import CONTROL_PRIORITY, MODEL_PRIORITY
from parley.server.moderation.worker import ModerationWorker, WorkerSettings, to_record
from parley.server.store.moderation import ApplyOutcome, DecisionRecord, ReviewFilter
from parley.server.store.sqlite import SqliteStore
from parley.shared.events import MessageModerationStatusChanged, MessageReceived, UserEvent
from parley.shared.models import ModerationStatus, PreModerationStatus
from parley.shared.moderation import ReviewSource

from .pipeline import CLEAN, HATEFUL, PROFANE, REMOVED, make_user, rules_moderator, send


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "parley.db")
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
def moderator(tmp_path: Path) -> Moderator:
    return rules_moderator(tmp_path)


def status_changes(
    events: list[UserEvent],
) -> list[tuple[int, int, MessageModerationStatusChanged]]:
    return [
        (e.user_id, e.event.message_id, e.event)
        for e in events
        if isinstance(e.event, MessageModerationStatusChanged)
    ]


async def test_worker_drains_the_backlog_in_id_order_and_routes_each_band(
    store: SqliteStore, moderator: Moderator
) -> None:
    alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
    ids = [await send(store, alice, bob, text) for text in (CLEAN, PROFANE, HATEFUL, REMOVED)]
    published: list[UserEvent] = []
    worker = ModerationWorker(
        store, moderator, publish=published.extend, settings=WorkerSettings(batch_size=3)
    )

    assert await worker.drain() == 4

    statuses = [(await store.get_message(i)).moderation_status for i in ids]  # type: ignore[union-attr]
    assert statuses == [
        ModerationStatus.APPROVED,
        ModerationStatus.FLAGGED,
        ModerationStatus.IN_REVIEW,
        ModerationStatus.REMOVED,
    ]
    to_sender = [(m, e.reason) for u, m, e in status_changes(published) if u == alice.id]
    assert [m for m, _ in to_sender] == ids  # id order, one change per message
    reasons = dict(to_sender)
    assert reasons[ids[0]] == ""
    assert "profanity" in reasons[ids[1]]
    assert "warning" in reasons[ids[1]]
    assert "hate" in reasons[ids[2]]
    assert "removed" in reasons[ids[3]]
    queue = await store.list_review_queue(ReviewFilter())
    assert [(i.message.id, i.source, i.priority) for i in queue] == [
        (ids[2], ReviewSource.MODEL, MODEL_PRIORITY[ReviewPriority.HIGH]),
        (ids[1], ReviewSource.MODEL, MODEL_PRIORITY[ReviewPriority.MIDDLE]),
    ]
    assert await store.get_unmoderated_messages(after_id=0, limit=10) == []


async def test_receiver_stops_seeing_a_message_sent_to_review(
    store: SqliteStore, moderator: Moderator
) -> None:
    alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
    held = await send(store, alice, bob, HATEFUL)
    await ModerationWorker(store, moderator).drain()
    page = await store.get_history_page(
        user_id=bob.id, conversation_id=f"{alice.id}-{bob.id}", before_message_id=None, limit=10
    )
    assert held not in [m.id for m in page.messages]


async def test_held_first_messages_are_released_or_rejected_by_the_pipeline(
    store: SqliteStore, moderator: Moderator
) -> None:
    alice, bob, carol = [await make_user(store, n) for n in ("alice", "bob", "carol")]
    released = await send(store, alice, bob, CLEAN, premoderate=True)
    rejected = await send(store, alice, carol, REMOVED, premoderate=True)
    reviewed = await send(store, bob, carol, HATEFUL, premoderate=True)
    published: list[UserEvent] = []
    await ModerationWorker(store, moderator, publish=published.extend).drain()

    first = await store.get_message(released)
    assert first is not None
    assert first.premoderation_status is PreModerationStatus.APPROVED
    second = await store.get_message(rejected)
    assert second is not None
    assert second.premoderation_status is PreModerationStatus.REJECTED
    third = await store.get_message(reviewed)
    assert third is not None
    assert third.premoderation_status is PreModerationStatus.PENDING
    revealed = [e for e in published if isinstance(e.event, MessageReceived)]
    assert [(e.user_id, e.event.message.id) for e in revealed] == [(bob.id, released)]
    # the receiver of a rejected first message never hears of it
    assert carol.id not in {u for u, m, _ in status_changes(published) if m == rejected}


class Killed(Exception):
    """The worker process dies here (an exception: asyncio tasks must not see SystemExit)."""


class CrashingStore:
    """The real store, but the process "dies" when it tries to apply a decision."""

    def __init__(self, store: SqliteStore, crash_on_apply: int) -> None:
        self.store = store
        self.crash_on_apply = crash_on_apply
        self.applies = 0

    async def get_unmoderated_messages(self, *, after_id: int, limit: int):  # type: ignore[no-untyped-def]
        return await self.store.get_unmoderated_messages(after_id=after_id, limit=limit)

    async def apply_moderation_decisions(
        self, decisions: list[DecisionRecord], *, votes_needed: int
    ) -> ApplyOutcome:
        self.applies += 1
        if self.applies == self.crash_on_apply:
            raise Killed("killed between deciding and applying")
        return await self.store.apply_moderation_decisions(decisions, votes_needed=votes_needed)


async def test_crash_and_restart_loses_nothing_and_applies_nothing_twice(
    tmp_path: Path, moderator: Moderator
) -> None:
    path = tmp_path / "crash.db"
    store = SqliteStore(path)
    await store.open()
    alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
    ids = [await send(store, alice, bob, f"{CLEAN} {n}") for n in range(25)]
    ids.append(await send(store, alice, bob, PROFANE))
    crashing = CrashingStore(store, crash_on_apply=2)
    worker = ModerationWorker(crashing, moderator, settings=WorkerSettings(batch_size=10))  # type: ignore[arg-type]
    with pytest.raises(Killed):
        await worker.drain()
    assert worker.decided == 10  # the first batch was applied, the second one was lost
    await store.close()

    reopened = SqliteStore(path)
    await reopened.open()
    published: list[UserEvent] = []
    restarted = ModerationWorker(reopened, moderator, publish=published.extend)
    assert await restarted.drain() == 16
    # and a second worker (or a replay of the same decisions) changes nothing
    again = await reopened.apply_moderation_decisions(
        [
            DecisionRecord(
                message_id=i,
                status=ModerationStatus.REMOVED,
                verdict="remove",
                band="x",
                overall=1,
                tier=1,
            )
            for i in ids
        ],
        votes_needed=3,
    )
    assert again.applied == []
    assert again.events == []
    assert sorted(again.skipped) == ids
    await reopened.close()

    with sqlite3.connect(path) as conn:
        decided = conn.execute("SELECT MessageId FROM ModerationDecision ORDER BY 1").fetchall()
        statuses = conn.execute("SELECT DISTINCT ModerationStatus FROM ChatMessage").fetchall()
        changes = conn.execute(
            "SELECT COUNT(*) FROM UserEvent WHERE UserId = ? "
            "AND Payload LIKE '%MessageModerationStatusChanged%'",
            (alice.id,),
        ).fetchone()
    assert [row[0] for row in decided] == ids
    assert sorted(s for (s,) in statuses) == [ModerationStatus.APPROVED, ModerationStatus.FLAGGED]
    assert changes[0] == len(ids)  # exactly one change per message told to the sender
    assert {m for u, m, _ in status_changes(published) if u == alice.id} == set(ids[10:])


async def test_two_workers_at_once_apply_each_decision_once(
    store: SqliteStore, moderator: Moderator, tmp_path: Path
) -> None:
    alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
    ids = [await send(store, alice, bob, f"{CLEAN} {n}") for n in range(40)]
    published: list[UserEvent] = []
    one = ModerationWorker(
        store, moderator, publish=published.extend, settings=WorkerSettings(batch_size=7)
    )
    two = ModerationWorker(
        store,
        rules_moderator(tmp_path),
        publish=published.extend,
        settings=WorkerSettings(batch_size=5),
    )
    import asyncio

    await asyncio.gather(one.drain(), two.drain())
    assert one.decided + two.decided == len(ids)
    told = [m for u, m, _ in status_changes(published) if u == alice.id]
    assert sorted(told) == ids


async def test_control_items_are_sampled_only_from_auto_approved_traffic(
    store: SqliteStore, moderator: Moderator
) -> None:
    alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
    clean = await send(store, alice, bob, CLEAN)
    await send(store, alice, bob, REMOVED)
    worker = ModerationWorker(
        store, moderator, settings=WorkerSettings(control_rate=1.0), rng=random.Random(7)
    )
    await worker.drain()
    queue = await store.list_review_queue(ReviewFilter(source=ReviewSource.CONTROL))
    assert [(i.message.id, i.priority, i.model_verdict) for i in queue] == [
        (clean, CONTROL_PRIORITY, "approve")
    ]


class FailingOnce:
    def __init__(self, inner: Moderator) -> None:
        self.inner = inner
        self.calls = 0

    async def decide_many(self, messages: Sequence[Candidate]) -> list[Decision]:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("engine bug")
        return await self.inner.decide_many(messages)


async def test_an_engine_failure_leaves_the_batch_queued(
    store: SqliteStore, moderator: Moderator
) -> None:
    alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
    sent = await send(store, alice, bob, CLEAN)
    worker = ModerationWorker(store, FailingOnce(moderator))
    with pytest.raises(RuntimeError):
        await worker.step()
    assert worker.cursor == 0
    assert await worker.drain() == 1
    message = await store.get_message(sent)
    assert message is not None
    assert message.moderation_status is ModerationStatus.APPROVED


def test_a_record_keeps_the_decision_and_queues_only_what_needs_review() -> None:
    from datetime import UTC, datetime

    from parley.server.moderation.bands import Band, Verdict
    from parley.shared.models import Message

    message = Message(
        id=5, conversation_id="1-2", sender_id=1, receiver_id=2, text="x", sent_at=datetime.now(UTC)
    )
    flagged = Decision(
        status=ModerationStatus.FLAGGED,
        verdict=Verdict.FLAG,
        band=Band.BAD_MIDDLE,
        overall=0.7,
        categories={"profanity": 0.7},
        category="profanity",
        rule=None,
        tier=2,
        review_priority=ReviewPriority.MIDDLE,
        reason="flagged",
        model_version="m1",
    )
    record = to_record(message, flagged, control=True)
    assert (record.review_source, record.review_priority) == (ReviewSource.MODEL, 10)
    assert (record.verdict, record.band, record.model_version) == ("flag", "ML_BAD_MIDDLE", "m1")
