"""V003 on a database written before it: the event log keeps its rows and positions,
and positions are never handed out twice from then on."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from parley.server.store.migrations import load_migrations, migrate
from parley.server.store.sqlite import SqliteStore
from parley.shared.events import SendingBlockedForUser
from parley.shared.models import Role

PAYLOAD = '{"kind":"SendingBlockedForUser","blocked":true,"reason":"old"}'


def database_before_v003(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        migrate(conn, [m for m in load_migrations() if m.version < 3])
        conn.executemany(
            "INSERT INTO UserEvent (EventId, UserId, Seq, CreatedAt, Payload) "
            "VALUES (?, 1, ?, 0, ?)",
            [(position, seq, PAYLOAD) for seq, position in enumerate((5, 6, 9), start=1)],
        )
    finally:
        conn.close()


async def test_existing_events_keep_their_positions_and_new_ones_go_above(
    tmp_path: Path,
) -> None:
    path = tmp_path / "parley.db"
    database_before_v003(path)
    store = SqliteStore(path)
    await store.open()  # applies V003
    try:
        page = await store.get_events_after(0, limit=100)
        assert [(e.position, e.event.seq) for e in page.events] == [(5, 1), (6, 2), (9, 3)]
        assert page.events[0].event.event == SendingBlockedForUser(blocked=True, reason="old")

        await store.prune_events(older_than=datetime.now(UTC) + timedelta(minutes=1))
        user = await store.create_user(
            username="bob", display_name="Bob", password_hash="x", role=Role.USER
        )
        await store.set_sending_blocked(user_id=user.id, blocked=True, reason="new")

        fresh = await store.get_events_after(9, limit=100)
        assert [e.position for e in fresh.events] == [10]
    finally:
        await store.close()
