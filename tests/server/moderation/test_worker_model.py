"""The worker once with the real engine: the shipped model loaded the way the server does."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from parley.server.moderation.model import WEIGHTS_FILE, shipped_model_dir
from parley.server.moderation.worker import ModerationWorker, load_moderator
from parley.server.store.sqlite import SqliteStore
from parley.shared.models import ModerationStatus

from .pipeline import CLEAN, make_user, send


@pytest.mark.skipif(
    not (shipped_model_dir() / WEIGHTS_FILE).is_file(), reason="no trained model shipped yet"
)
async def test_the_shipped_model_decides_through_the_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARLEY_MODERATION_VERSIONS_DIR", str(tmp_path / "no-versions"))
    store = SqliteStore(tmp_path / "parley.db")
    await store.open()
    try:
        alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
        sent = await send(store, alice, bob, CLEAN)
        worker = ModerationWorker(store, load=load_moderator)
        assert await worker.drain() == 1
        message = await store.get_message(sent)
        assert message is not None
        assert message.moderation_status is ModerationStatus.APPROVED
    finally:
        await store.close()
    with sqlite3.connect(tmp_path / "parley.db") as conn:
        version, tier = conn.execute(
            "SELECT ModelVersion, Tier FROM ModerationDecision WHERE MessageId = ?", (sent,)
        ).fetchone()
    assert version not in ("", "rules-only")
    assert tier == 2
