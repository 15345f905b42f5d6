"""``parley moderation worker`` as its own process and ``parley moderation stats``."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from click.testing import CliRunner

from parley.server.moderation.cli import moderation
from parley.server.moderation.worker import ModerationWorker
from parley.server.store.sqlite import SqliteStore
from parley.shared.models import ModerationStatus

from .pipeline import CLEAN, PROFANE, make_user, rules_moderator, send

WAIT = 60.0


async def test_a_separate_worker_process_drains_the_queue_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    database = tmp_path / "parley.db"
    store = SqliteStore(database)
    await store.open()
    alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
    ids = [await send(store, alice, bob, text) for text in (CLEAN, PROFANE)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env["PARLEY_CONFIG_FILE"] = str(tmp_path / "absent.toml")
    env["PARLEY_MODERATION_VERSIONS_DIR"] = str(tmp_path / "versions")
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "parley"),
        "moderation",
        "worker",
        "--database",
        f"sqlite:///{database}",
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        async with asyncio.timeout(WAIT):
            while True:  # wait on the condition, polling the store
                statuses = [(await store.get_message(i)).moderation_status for i in ids]  # type: ignore[union-attr]
                if ModerationStatus.UNSPECIFIED not in statuses:
                    break
                await asyncio.sleep(0.05)
        assert statuses == [ModerationStatus.APPROVED, ModerationStatus.FLAGGED]
        events = await store.get_events_since(alice.id, 0, limit=100)
        assert any(
            type(e.event).__name__ == "MessageModerationStatusChanged" for e in events.events
        )
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(WAIT):
            _, stderr = await process.communicate()
        await store.close()
    assert process.returncode == 0, stderr.decode()
    assert "decided 2 messages" in stderr.decode()


async def test_stats_reports_latency_and_queue_depth(tmp_path: Path) -> None:
    database = tmp_path / "parley.db"
    store = SqliteStore(database)
    await store.open()
    alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
    await send(store, alice, bob, CLEAN)
    await send(store, alice, bob, PROFANE)
    await ModerationWorker(store, rules_moderator(tmp_path)).drain()
    await send(store, alice, bob, "still queued")
    await store.close()

    env = {"PARLEY_CONFIG_FILE": str(tmp_path / "absent.toml")}
    result = await asyncio.to_thread(
        CliRunner().invoke,
        moderation,
        ["stats", "--json", "--database", f"sqlite:///{database}"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["decisions"] == 2
    assert figures["latency_p99_ms"] >= figures["latency_p50_ms"]
    assert (figures["backlog"], figures["review_open"], figures["reviewed"]) == (1, 1, 0)
    assert figures["accuracy"] is None
