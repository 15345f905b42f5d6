"""SQLite-specific behaviour: group commit, durability, error mapping, readers vs writer."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from parley.server.store.sqlite import SqliteStore
from parley.server.store.sqlite_engine import Synchronous
from parley.shared.errors import ErrorCode, ParleyError, StorageUnavailable
from parley.shared.models import Role, User

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(tmp_path / "chat.db")
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def two_users(store: SqliteStore) -> tuple[User, User]:
    alice = await store.create_user(
        username="alice", display_name="Alice", password_hash="h", role=Role.USER
    )
    bob = await store.create_user(
        username="bob", display_name="Bob", password_hash="h", role=Role.USER
    )
    return alice, bob


async def send(store: SqliteStore, sender: User, receiver: User, client_id: str, text: str = "hi"):
    return await store.send_message(
        sender_id=sender.id,
        receiver_id=receiver.id,
        text=text,
        sent_at=NOW,
        premoderate_first=False,
        client_message_id=client_id,
    )


async def test_concurrent_sends_share_commits(sqlite_store: SqliteStore) -> None:
    alice, bob = await two_users(sqlite_store)
    writer = sqlite_store.writer
    batches_before, writes_before = writer.batches, writer.writes

    outcomes = await asyncio.gather(*(send(sqlite_store, alice, bob, f"c{i}") for i in range(200)))

    assert len({o.result.message.id for o in outcomes}) == 200
    writes = writer.writes - writes_before
    batches = writer.batches - batches_before
    assert writes == 200
    assert batches < writes / 2, f"{batches} commits for {writes} writes: no group commit"


async def test_a_refused_operation_does_not_undo_its_batch(sqlite_store: SqliteStore) -> None:
    alice, bob = await two_users(sqlite_store)

    results = await asyncio.gather(
        *(
            send(sqlite_store, alice, alice if i % 3 == 0 else bob, f"c{i}", text=f"m{i}")
            for i in range(30)
        ),
        return_exceptions=True,
    )

    refused = [r for r in results if isinstance(r, ParleyError)]
    assert len(refused) == 10
    assert {r.code for r in refused} == {ErrorCode.SEND_TO_SELF}
    page = await sqlite_store.get_history_page(
        user_id=bob.id, conversation_id=f"{alice.id}-{bob.id}", before_message_id=None, limit=100
    )
    assert sorted(m.text for m in page.messages) == sorted(f"m{i}" for i in range(30) if i % 3 != 0)
    state = await sqlite_store.get_chat_state(bob.id)
    assert state.total_unread == 20


async def test_a_bug_in_an_operation_reaches_its_caller_alone(sqlite_store: SqliteStore) -> None:
    alice, bob = await two_users(sqlite_store)

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE ChatUser SET DisplayName = 'mangled'")
        raise ValueError("a bug")

    results = await asyncio.gather(
        sqlite_store.writer.run("Broken", broken),
        send(sqlite_store, alice, bob, "fine"),
        return_exceptions=True,
    )

    assert isinstance(results[0], ValueError)
    assert not isinstance(results[1], BaseException)
    assert (await sqlite_store.get_user(alice.id)).display_name == "Alice"


async def test_acknowledged_messages_survive_a_restart(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "chat.db")
    await store.open()
    alice, bob = await two_users(store)
    sent = await send(store, alice, bob, "durable", text="still here")
    await store.close()

    reopened = SqliteStore(tmp_path / "chat.db")
    await reopened.open()
    try:
        page = await reopened.get_history_page(
            user_id=bob.id,
            conversation_id=sent.result.message.conversation_id,
            before_message_id=None,
            limit=10,
        )
        assert [m.text for m in page.messages] == ["still here"]
        again = await send(reopened, alice, bob, "durable", text="still here")
        assert again.result.duplicate
    finally:
        await reopened.close()


async def test_full_disk_is_reported_as_storage_unavailable(sqlite_store: SqliteStore) -> None:
    alice, bob = await two_users(sqlite_store)
    pages = await sqlite_store.writer.run(
        "PageCount", lambda conn: conn.execute("PRAGMA page_count").fetchone()[0]
    )
    await sqlite_store.writer.run(
        "Limit", lambda conn: conn.execute(f"PRAGMA max_page_count = {pages}")
    )

    async def fill_the_disk() -> None:
        for i in range(50):
            await send(sqlite_store, alice, bob, f"big{i}", text="x" * 1000)

    with pytest.raises(StorageUnavailable) as failure:
        await fill_the_disk()

    assert failure.value.code == ErrorCode.UNAVAILABLE
    assert "full" in failure.value.message
    await sqlite_store.writer.run(
        "Unlimit", lambda conn: conn.execute("PRAGMA max_page_count = 1073741823")
    )
    recovered = await send(sqlite_store, alice, bob, "after", text="space again")
    assert not recovered.result.duplicate


async def test_database_locked_by_another_process_is_storage_unavailable(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    alice, bob = await two_users(sqlite_store)
    await sqlite_store.writer.run(
        "Impatient", lambda conn: conn.execute("PRAGMA busy_timeout = 50")
    )
    intruder = sqlite3.connect(tmp_path / "chat.db", isolation_level=None)
    intruder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageUnavailable) as failure:
            await send(sqlite_store, alice, bob, "locked")
        assert "busy" in failure.value.message
    finally:
        intruder.execute("ROLLBACK")
        intruder.close()

    sent = await send(sqlite_store, alice, bob, "locked")
    assert not sent.result.duplicate  # the failed attempt left nothing behind


async def test_reads_do_not_wait_for_the_writer(sqlite_store: SqliteStore) -> None:
    alice, bob = await two_users(sqlite_store)
    await send(sqlite_store, alice, bob, "before")
    release = threading.Event()
    holding = threading.Event()

    def slow_write(conn: sqlite3.Connection) -> None:
        holding.set()
        release.wait(timeout=30)

    stuck = asyncio.ensure_future(sqlite_store.writer.run("Slow", slow_write))
    try:
        assert await asyncio.to_thread(holding.wait, 10)
        state = await asyncio.wait_for(sqlite_store.get_chat_state(bob.id), timeout=5)
        assert state.total_unread == 1
        assert not stuck.done()
    finally:
        release.set()
        await stuck


async def test_default_is_durable_commits_in_wal_mode(sqlite_store: SqliteStore) -> None:
    mode, synchronous = await sqlite_store.writer.run(
        "Pragmas",
        lambda conn: (
            conn.execute("PRAGMA journal_mode").fetchone()[0],
            conn.execute("PRAGMA synchronous").fetchone()[0],
        ),
    )
    assert (mode, synchronous) == ("wal", 2)  # 2 = FULL


async def test_normal_synchronous_trades_durability_when_asked(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "fast.db", synchronous=Synchronous.NORMAL)
    await store.open()
    try:
        synchronous = await store.writer.run(
            "Pragma", lambda conn: conn.execute("PRAGMA synchronous").fetchone()[0]
        )
        assert synchronous == 1  # 1 = NORMAL
    finally:
        await store.close()


async def test_in_memory_store_serves_reads_and_writes() -> None:
    store = SqliteStore(":memory:")
    await store.open()
    try:
        alice, bob = await two_users(store)
        sent = await send(store, alice, bob, "m")
        state = await store.get_chat_state(bob.id)
        assert state.conversations[0].last_message.id == sent.result.message.id
    finally:
        await store.close()


async def test_closed_store_refuses_work(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "chat.db")
    await store.open()
    await store.close()

    with pytest.raises(StorageUnavailable):
        await store.get_user(1)


async def test_unopenable_database_is_storage_unavailable(tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_bytes(b"this is not a database file at all" * 100)
    store = SqliteStore(not_a_db)

    with pytest.raises(StorageUnavailable):
        await store.open()


async def test_checkpoints_run_beside_the_writer(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    alice, bob = await two_users(sqlite_store)
    autocheckpoint = await sqlite_store.writer.run(
        "Pragma", lambda conn: conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    )
    assert autocheckpoint == 0  # commits never stop to copy the WAL themselves
    main_file = tmp_path / "chat.db"
    size_before = main_file.stat().st_size

    for i in range(40):
        await send(sqlite_store, alice, bob, f"c{i}", text=f"{i:04d}" * 250)

    # 40 kB of text reach the main file only through a checkpoint, i.e. that thread.
    deadline = asyncio.get_running_loop().time() + 10
    while main_file.stat().st_size < size_before + 32_768:
        assert asyncio.get_running_loop().time() < deadline, "no checkpoint within 10 s"
        await asyncio.sleep(0.05)
    checkpointer = sqlite_store.checkpointer
    assert checkpointer is not None
    assert checkpointer.checkpoints > 0


async def test_a_send_is_answered_only_once_committed(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    alice, bob = await two_users(sqlite_store)
    outsider = sqlite3.connect(tmp_path / "chat.db")  # another process's view of the file
    try:
        for i in range(20):
            sent = await send(sqlite_store, alice, bob, f"c{i}", text=f"m{i}")
            row = outsider.execute(
                "SELECT Text FROM ChatMessage WHERE MessageId = ?", (sent.result.message.id,)
            ).fetchone()
            assert row == (f"m{i}",)
    finally:
        outsider.close()
