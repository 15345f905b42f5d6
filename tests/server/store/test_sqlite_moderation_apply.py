"""SQLite's batched ApplyModerationDecision: one read per batch, and the cases it must keep."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from parley.server.store.moderation import DecisionRecord
from parley.server.store.sqlite import SqliteStore
from parley.server.store.sqlite_rows import MESSAGE_COLUMNS
from parley.shared.events import MessageModerationStatusChanged
from parley.shared.models import ModerationStatus, Role, User


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "parley.db")
    await opened.open()
    yield opened
    await opened.close()


async def user(store: SqliteStore, name: str) -> User:
    return await store.create_user(
        username=name, display_name=name, password_hash="x", role=Role.USER
    )


async def sent(store: SqliteStore, sender: User, receiver: User, text: str) -> int:
    outcome = await store.send_message(
        sender_id=sender.id,
        receiver_id=receiver.id,
        text=text,
        sent_at=datetime.now(UTC),
        premoderate_first=False,
        client_message_id=f"{text}-{sender.id}",
    )
    return outcome.result.message.id


def approve(message_id: int) -> DecisionRecord:
    return DecisionRecord(
        message_id=message_id,
        status=ModerationStatus.APPROVED,
        verdict="approve",
        band="ML_OK",
        overall=0.01,
        tier=2,
    )


async def test_a_batch_naming_a_message_twice_or_an_unknown_one_applies_each_once(
    store: SqliteStore,
) -> None:
    alice, bob = await user(store, "alice"), await user(store, "bob")
    first, second = await sent(store, alice, bob, "one"), await sent(store, alice, bob, "two")

    outcome = await store.apply_moderation_decisions(
        [approve(first), approve(first), approve(999_999), approve(second)], votes_needed=3
    )

    assert outcome.applied == [first, second]
    assert outcome.skipped == [first, 999_999]
    changed = [
        (e.user_id, e.event.message_id)
        for e in outcome.events
        if isinstance(e.event, MessageModerationStatusChanged)
    ]
    assert changed == [(alice.id, first), (bob.id, first), (alice.id, second), (bob.id, second)]
    seqs = [e.seq for e in outcome.events if e.user_id == alice.id]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # numbered on, no gap or repeat


async def test_an_undecided_message_archived_by_an_older_version_is_still_decided(
    store: SqliteStore, tmp_path: Path
) -> None:
    """Before archiving spared the queue, an undecided message could reach the cold
    table; a decision for it (a replay, a sweep) must still land there."""
    alice, bob = await user(store, "alice"), await user(store, "bob")
    cold = await sent(store, alice, bob, "archived while undecided")
    with sqlite3.connect(tmp_path / "parley.db") as conn:
        conn.execute(
            f"INSERT INTO ChatMessageCold ({MESSAGE_COLUMNS}, UnreadNotified) "
            f"SELECT {MESSAGE_COLUMNS}, UnreadNotified FROM ChatMessage WHERE MessageId = ?",
            (cold,),
        )
        conn.execute("DELETE FROM ChatMessage WHERE MessageId = ?", (cold,))

    outcome = await store.apply_moderation_decisions([approve(cold)], votes_needed=3)

    assert outcome.applied == [cold]
    message = await store.get_message(cold)
    assert message is not None
    assert message.moderation_status is ModerationStatus.APPROVED
