"""``parley serve``, ``parley user …`` and ``parley db …`` as an operator runs them."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import websockets
from click.testing import CliRunner

from parley.client.cli import main
from parley.server.cli import parse_duration
from parley.server.store.factory import open_store
from parley.shared import protocol as p
from parley.shared.models import ModerationStatus, Role

PASSWORD = "tr0ub4dor&3-staple"


CHEAP_HASHES = {"PARLEY_ARGON2_TIME_COST": "1", "PARLEY_ARGON2_MEMORY_KIB": "8"}


def run_cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env={**CHEAP_HASHES, **(env or {})})


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["user"],
        ["user", "add"],
        ["user", "set-role"],
        ["db"],
        ["db", "archive"],
        ["db", "upgrade"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30d", 30 * 86400), ("12h", 43200), ("90m", 5400), ("1d12h", 129600), ("2w", 1209600)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "30", "d", "3x", "1d-2h"])
def test_bad_durations(text: str) -> None:
    import click

    with pytest.raises(click.BadParameter):
        parse_duration(text)


async def _store(url: str):
    store = open_store(url)
    await store.open()
    return store


def test_user_add_and_set_role(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    added = run_cli(
        "user",
        "add",
        "mia",
        "--role",
        "moderator",
        "--database",
        url,
        env={"PARLEY_PASSWORD": PASSWORD},
    )
    assert added.exit_code == 0, added.output

    async def role_of(name: str) -> Role:
        store = await _store(url)
        try:
            credentials = await store.get_credentials(name)
            assert credentials is not None
            return credentials.user.role
        finally:
            await store.close()

    assert asyncio.run(role_of("mia")) is Role.MODERATOR
    changed = run_cli("user", "set-role", "mia", "admin", "--database", url)
    assert changed.exit_code == 0, changed.output
    assert asyncio.run(role_of("mia")) is Role.ADMIN
    missing = run_cli("user", "set-role", "nobody", "admin", "--database", url)
    assert missing.exit_code != 0
    assert "no account named 'nobody'" in missing.output
    taken = run_cli("user", "add", "MIA", "--database", url, env={"PARLEY_PASSWORD": PASSWORD})
    assert taken.exit_code != 0
    assert "username_taken" in taken.output
    weak = run_cli("user", "add", "leo", "--database", url, env={"PARLEY_PASSWORD": "short"})
    assert "weak_password" in weak.output


def test_user_add_prompts_for_the_password_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prompt.db'}"
    result = CliRunner().invoke(
        main,
        ["user", "add", "zoe", "--database", url],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        env=CHEAP_HASHES,
    )
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output


def test_db_upgrade_and_archive_move_old_messages_and_history_still_reads_them(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    assert run_cli("db", "upgrade", "--database", url).exit_code == 0

    async def seed() -> tuple[int, int, str]:
        store = await _store(url)
        try:
            a = await store.create_user(
                username="a1", display_name="A", password_hash="x", role=Role.USER
            )
            b = await store.create_user(
                username="b1", display_name="B", password_hash="x", role=Role.USER
            )
            old = datetime.now(UTC) - timedelta(days=40)
            for i in range(5):
                outcome = await store.send_message(
                    sender_id=a.id,
                    receiver_id=b.id,
                    text=f"old {i}",
                    sent_at=old + timedelta(seconds=i),
                    premoderate_first=False,
                    client_message_id=f"o{i}",
                )
                # decided: undecided messages stay hot (they are the moderation queue)
                await store.set_moderation_status(
                    message_id=outcome.result.message.id,
                    status=ModerationStatus.APPROVED,
                    reason="",
                )
            await store.send_message(
                sender_id=a.id,
                receiver_id=b.id,
                text="new",
                sent_at=datetime.now(UTC),
                premoderate_first=False,
                client_message_id="n",
            )
            return a.id, b.id, outcome.result.message.conversation_id
        finally:
            await store.close()

    _, b_id, conversation = asyncio.run(seed())
    result = run_cli("db", "archive", "--older-than", "30d", "--batch-size", "2", "--database", url)
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "archived=5"
    again = run_cli("db", "archive", "--older-than", "30d", "--database", url)
    assert again.output.strip().splitlines()[-1] == "archived=0"

    async def history() -> list[str]:
        store = await _store(url)
        try:
            page = await store.get_history_page(
                user_id=b_id, conversation_id=conversation, before_message_id=None, limit=50
            )
            return [m.text for m in page.messages]
        finally:
            await store.close()

    assert asyncio.run(history()) == ["new", "old 4", "old 3", "old 2", "old 1", "old 0"]


def test_db_archive_refuses_a_bad_duration(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["db", "archive", "--older-than", "soon", "--database", str(tmp_path / "x.db")]
    )
    assert result.exit_code != 0
    assert "not a duration" in result.output


async def test_parley_serve_runs_until_sigterm(tmp_path: Path) -> None:
    """The README's run command: a real process, a real client, a clean stop."""
    env = {
        **os.environ,
        "PARLEY_CONFIG_FILE": str(tmp_path / "none.toml"),
        "PARLEY_USE_UVLOOP": "true",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from parley.client.cli import main; main()",
        "serve",
        "--port",
        "0",
        "--database",
        f"sqlite:///{tmp_path / 'serve.db'}",
        env=env,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    try:
        async with asyncio.timeout(20):
            while True:
                line = (await proc.stderr.readline()).decode()
                assert line, "the server exited before listening"
                found = re.search(r"serving on (ws://\S+)", line)
                if found:
                    break
        async with websockets.connect(found.group(1)) as ws:
            await ws.send(p.encode(p.Hello(id=1, versions=[1])))
            welcome = p.decode_server_frame(await ws.recv())
            assert isinstance(welcome, p.Welcome)
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            rest = (await proc.stderr.read()).decode()
            assert await proc.wait() == 0, rest
        assert "server stopped" in rest
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
