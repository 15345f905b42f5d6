"""End to end on a real SQL Server (skipped, with the reason, when none is configured).

Run: PARLEY_TEST_MSSQL_DSN='mssql://sa:...@host:1433/parley_test?TrustServerCertificate=yes'
.venv/bin/python -m pytest tests/server/store tests/server/mssql (docs/mssql.md). The
database must have a MEMORY_OPTIMIZED_DATA filegroup; users are named per run, so the
database may be reused.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from parley.server.store.moderation import DecisionRecord
from parley.server.store.mssql import MssqlStore
from parley.server.store.mssql_migrations import upgrade
from parley.server.store.mssql_pool import connect as odbc_connect
from parley.shared import protocol as p
from parley.shared.events import MessageReceived, MessageSent
from parley.shared.models import ModerationStatus, Role, User

pytestmark = [
    pytest.mark.mssql,
    pytest.mark.skipif(
        not os.environ.get("PARLEY_TEST_MSSQL_DSN"),
        reason="PARLEY_TEST_MSSQL_DSN is not set; no SQL Server here",
    ),
]


@pytest.fixture
async def store(dsn: str):
    opened = MssqlStore(dsn)
    await opened.open()
    yield opened
    await opened.close()


async def new_user(store: MssqlStore, name: str) -> User:
    return await store.create_user(
        username=f"{name}_{uuid.uuid4().hex[:10]}",
        display_name=name.title(),
        password_hash="$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA",
        role=Role.USER,
    )


def cold_ids(dsn: str, ids: list[int]) -> set[int]:
    connection = odbc_connect(dsn)
    try:
        marks = ",".join("?" * len(ids))
        rows = (
            connection.cursor()
            .execute(
                f"SELECT MessageId FROM dbo.ChatMessageCold WHERE MessageId IN ({marks})", *ids
            )
            .fetchall()
        )
        return {int(row[0]) for row in rows}
    finally:
        connection.close()


async def test_upgrade_is_idempotent_and_dry_run_then_has_nothing_to_do(dsn: str) -> None:
    await asyncio.to_thread(upgrade, dsn)
    assert await asyncio.to_thread(upgrade, dsn) == "The database is up to date."
    assert "Nothing to do" in await asyncio.to_thread(upgrade, dsn, True)


async def test_send_over_websockets_reaches_the_receiver(sign_up) -> None:
    run = uuid.uuid4().hex[:8]
    alice = await sign_up(f"alice{run}", subscribe=True)
    bob = await sign_up(f"bob{run}", subscribe=True)
    sent = await alice.ok("send", client_message_id="m1", to=bob.user.id, text="hej 'bob' ✓")
    assert isinstance(sent, p.Sent)
    received = await bob.event(MessageReceived)
    assert received.event.message == sent.message
    assert (await alice.event(MessageSent)).event.message.id == sent.message.id
    state = await bob.track(received.seq)
    [conversation] = state.conversations
    assert conversation.unread_count == 1
    assert conversation.last_message.text == "hej 'bob' ✓"
    again = await alice.ok("send", client_message_id="m1", to=bob.user.id, text="hej 'bob' ✓")
    assert again.duplicate
    assert again.message.id == sent.message.id


async def test_concurrent_sends_to_one_user_survive_write_conflicts(store: MssqlStore) -> None:
    """Twenty senders bump one receiver's sequence at once: in-memory OLTP conflicts
    (41302) are retried, and every message and event lands exactly once."""
    receiver = await new_user(store, "popular")
    senders = [await new_user(store, f"fan{i}") for i in range(20)]
    now = datetime.now(UTC)
    outcomes = await asyncio.gather(
        *(
            store.send_message(
                sender_id=s.id,
                receiver_id=receiver.id,
                text=f"hi from {i}",
                sent_at=now,
                premoderate_first=False,
                client_message_id=f"c{i}",
            )
            for i, s in enumerate(senders)
        )
    )
    assert len({o.result.message.id for o in outcomes}) == 20
    seqs = sorted(e.seq for o in outcomes for e in o.events if e.user_id == receiver.id)
    assert seqs == list(range(1, 41))  # MessageReceived + ConversationChanged each
    state = await store.get_chat_state(receiver.id)
    assert state.total_unread == 20
    assert state.version == 40


async def test_archiving_moves_rows_to_the_partitioned_cold_table(
    store: MssqlStore, dsn: str
) -> None:
    alice, bob = await new_user(store, "alice"), await new_user(store, "bob")
    old = datetime(2020, 3, 15, tzinfo=UTC)
    ids = []
    for i in range(3):
        outcome = await store.send_message(
            sender_id=alice.id,
            receiver_id=bob.id,
            text=f"old {i}",
            sent_at=old + timedelta(days=31 * i),
            premoderate_first=False,
            client_message_id=f"old{i}",
        )
        ids.append(outcome.result.message.id)
    # Undecided messages stay hot (the moderation worker's queue): decide them first.
    approve = [
        DecisionRecord(
            message_id=i,
            status=ModerationStatus.APPROVED,
            verdict="approve",
            band="approve",
            overall=0.0,
            tier=1,
        )
        for i in ids
    ]
    await store.apply_moderation_decisions(approve, votes_needed=1)
    while await store.archive_messages(older_than=datetime(2021, 1, 1, tzinfo=UTC), batch_size=2):
        pass
    assert cold_ids(dsn, ids) == set(ids)
    page = await store.get_history_page(
        user_id=bob.id, conversation_id=f"{alice.id}-{bob.id}", before_message_id=None, limit=10
    )
    assert [m.id for m in page.messages] == list(reversed(ids))
    state = await store.get_chat_state(bob.id)
    assert state.conversations[0].last_message is not None
    assert state.conversations[0].last_message.id == ids[-1]  # a cold preview


async def test_delayed_durability_is_off_unless_asked_for(dsn: str) -> None:
    def durability() -> str:
        connection = odbc_connect(dsn)
        try:
            row = (
                connection.cursor()
                .execute(
                    "SELECT delayed_durability_desc FROM sys.databases WHERE database_id = DB_ID()"
                )
                .fetchone()
            )
            return str(row[0])
        finally:
            connection.close()

    for wanted, expected in ((True, "FORCED"), (False, "DISABLED")):
        store = MssqlStore(dsn, delayed_durability=wanted)
        await store.open()
        await store.close()
        assert await asyncio.to_thread(durability) == expected
