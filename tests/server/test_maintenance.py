"""The periodic upkeep: archive old hot messages, prune the sequence log."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from parley.server.maintenance import run_once, run_periodically
from parley.server.settings import Settings
from parley.server.store.factory import open_store
from parley.shared.models import ModerationStatus, Role


async def test_a_pass_archives_old_messages_and_prunes_old_events(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    await store.open()
    try:
        a = await store.create_user(
            username="a1", display_name="A", password_hash="x", role=Role.USER
        )
        b = await store.create_user(
            username="b1", display_name="B", password_hash="x", role=Role.USER
        )
        old = datetime.now(UTC) - timedelta(days=45)
        for i in range(3):
            sent = await store.send_message(
                sender_id=a.id,
                receiver_id=b.id,
                text=f"old {i}",
                sent_at=old,
                premoderate_first=False,
                client_message_id=f"o{i}",
            )
            # decided: undecided messages stay hot (they are the moderation queue)
            await store.set_moderation_status(
                message_id=sent.result.message.id, status=ModerationStatus.APPROVED, reason=""
            )
        await store.send_message(
            sender_id=a.id,
            receiver_id=b.id,
            text="new",
            sent_at=datetime.now(UTC),
            premoderate_first=False,
            client_message_id="n",
        )
        settings = Settings(archive_after_days=30, archive_batch_size=2, event_retention_days=1e-9)
        archived, pruned = await run_once(store, settings)
        assert archived == 3
        assert pruned > 0
        assert await run_once(store, settings) == (0, 0)
        page = await store.get_history_page(
            user_id=b.id, conversation_id=f"{a.id}-{b.id}", before_message_id=None, limit=10
        )
        assert [m.text for m in page.messages] == ["new", "old 2", "old 1", "old 0"]
        replay = await store.get_events_since(b.id, 0, limit=100)
        assert not replay.complete  # a resume from before the pruning gets a snapshot
    finally:
        await store.close()


async def test_a_failing_pass_is_logged_and_retried(tmp_path: Path, caplog) -> None:
    calls: list[int] = []
    retried = asyncio.Event()

    class BrokenStore:
        async def archive_messages(self, *, older_than: datetime, batch_size: int) -> int:
            calls.append(1)
            if len(calls) >= 2:
                retried.set()
            raise OSError("disk gone")

    task = asyncio.create_task(
        run_periodically(BrokenStore(), Settings(maintenance_interval_s=0.01))  # type: ignore[arg-type]
    )
    try:
        await asyncio.wait_for(retried.wait(), 5)
    finally:
        task.cancel()
    assert "maintenance pass failed" in caplog.text
