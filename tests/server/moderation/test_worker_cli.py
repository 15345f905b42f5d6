"""``parley moderation worker --processes N`` / ``--shard K/N``: scale-out from the shell."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from parley.server.moderation.cli import moderation
from parley.server.moderation.worker import Shard
from parley.server.store.sqlite import SqliteStore

from .pipeline import CLEAN, PROFANE, make_user, send

WAIT = 90.0  # two processes load the shipped model on a shared two-core machine


async def test_two_worker_processes_drain_the_queue_each_message_once(tmp_path: Path) -> None:
    database = tmp_path / "parley.db"
    store = SqliteStore(database)
    await store.open()
    alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
    ids = [await send(store, alice, bob, f"{CLEAN} {n}") for n in range(11)]
    ids.append(await send(store, alice, bob, PROFANE))
    sent = await store.get_unmoderated_messages(after_id=0, limit=100)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env["PARLEY_CONFIG_FILE"] = str(tmp_path / "absent.toml")
    env["PARLEY_MODERATION_VERSIONS_DIR"] = str(tmp_path / "versions")
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "parley"),
        "moderation",
        "worker",
        "--processes",
        "2",
        "--batch-size",
        "3",
        "--database",
        f"sqlite:///{database}",
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        async with asyncio.timeout(WAIT):
            while True:  # wait on the condition, polling the store
                stats = await store.get_moderation_stats_inputs(latency_window=1)
                if stats.backlog == 0:
                    break
                await asyncio.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)  # the parent stops both children
        async with asyncio.timeout(WAIT):
            _, raw = await process.communicate()
        await store.close()
    stderr = raw.decode()
    assert process.returncode == 0, stderr
    decided = {
        shard: int(n) for shard, n in re.findall(r"worker (\d/2): decided (\d+) messages", stderr)
    }
    assert decided == {f"{k}/2": sum(1 for m in sent if Shard(k, 2).owns(m)) for k in range(2)}
    assert 0 not in decided.values()  # both processes had work
    with sqlite3.connect(database) as conn:
        rows = [r[0] for r in conn.execute("SELECT MessageId FROM ModerationDecision ORDER BY 1")]
        flagged = conn.execute(
            "SELECT ModerationStatus FROM ChatMessage WHERE MessageId = ?", (ids[-1],)
        ).fetchone()
    assert rows == ids
    assert flagged == (2,)  # FLAGGED: the real engine decided it


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shard", "2/2"], "need 0 ≤ k < n"),
        (["--shard", "half"], "expected k/n"),
        (["--processes", "2", "--shard", "1/2"], "leave out --shard"),
        (["--processes", "0"], "0 is not in the range"),
    ],
)
def test_bad_scale_out_options_are_refused_before_anything_starts(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(
        moderation,
        ["worker", *args, "--database", f"sqlite:///{tmp_path / 'never.db'}"],
        env={"PARLEY_CONFIG_FILE": str(tmp_path / "absent.toml")},
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "never.db").exists()
