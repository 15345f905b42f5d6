"""The moderation pipeline end to end on a real SQL Server, over real websockets.

Skipped, with the reason, when PARLEY_TEST_MSSQL_DSN names no server (docs/mssql.md).
The server runs its in-process worker on SQL Server as it does on SQLite: held first
messages are released or rejected, a user's flag reaches the review queue, a moderator
claims it and votes, and the sender is told. Users are named per run, so the database
may be reused; the rules file makes the decisions known in advance.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from parley.server.settings import Settings
from parley.shared import protocol as p
from parley.shared.events import MessageModerationStatusChanged, MessageReceived
from parley.shared.models import ModerationStatus, PreModerationStatus, Role
from parley.shared.moderation import ReviewSource, ReviewState

pytestmark = [
    pytest.mark.mssql,
    pytest.mark.skipif(
        not os.environ.get("PARLEY_TEST_MSSQL_DSN"),
        reason="PARLEY_TEST_MSSQL_DSN is not set; no SQL Server here",
    ),
]

FIRST_DECISION = 60.0  # the engine loads in a thread when the server starts
PASSWORD = "correct horse battery staple"
RULES = """
[categories.threat]
action = "remove"
score = 0.99
words = ["kaboom"]
"""
CLEAN = "see you at lunch tomorrow"


@pytest.fixture
def settings(dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    monkeypatch.setenv("PARLEY_MODERATION_RULES_FILE", str(rules))
    return Settings(
        host="127.0.0.1",
        port=0,
        database_url=dsn,
        argon2_time_cost=1,
        argon2_memory_kib=8,
        use_uvloop=False,
        coalesce_ms=2.0,
        premoderate_first=True,
        moderation_votes_needed=1,
        moderation_poll_ms=5.0,
        moderation_control_rate=0.0,
    )


@pytest.fixture
def run() -> str:
    return uuid.uuid4().hex[:8]


async def test_held_first_messages_are_released_and_rejected_by_the_worker(
    sign_up: Any, run: str
) -> None:
    alice = await sign_up(f"alice{run}", subscribe=True)
    bob = await sign_up(f"bob{run}", subscribe=True)
    carol = await sign_up(f"carol{run}", subscribe=True)

    clean = await alice.ok("send", client_message_id="c1", to=bob.user.id, text=CLEAN)
    assert clean.message.premoderation_status is PreModerationStatus.PENDING
    released = await bob.event(MessageReceived, within=FIRST_DECISION)
    assert released.event.message.id == clean.message.id

    threat = await carol.ok("send", client_message_id="c1", to=bob.user.id, text="kaboom, bob")
    told = await carol.event(
        MessageModerationStatusChanged, within=FIRST_DECISION, message_id=threat.message.id
    )
    assert told.event.premoderation_status is PreModerationStatus.REJECTED
    assert told.event.moderation_status is ModerationStatus.REMOVED
    page = await bob.ok("history", conversation_id=threat.message.conversation_id)
    assert page.messages == []


async def test_a_flag_is_claimed_voted_on_and_audited(
    sign_up: Any, connect: Any, server: Any, run: str
) -> None:
    alice = await sign_up(f"alice{run}", subscribe=True)
    bob = await sign_up(f"bob{run}", subscribe=True)
    await server.services.accounts.create_user(
        username=f"mod{run}", password=PASSWORD, display_name="Moderator", role=Role.MODERATOR
    )
    moderator = await connect()
    session = await moderator.ok("login", username=f"mod{run}", password=PASSWORD)
    moderator.user = session.user

    sent = await alice.ok("send", client_message_id="c1", to=bob.user.id, text=CLEAN)
    await bob.event(MessageReceived, within=FIRST_DECISION)
    await bob.ok("flag_message", message_id=sent.message.id, reason="creepy")

    queue = await moderator.ok("review_queue_list", source="flag")
    assert isinstance(queue, p.ReviewQueue)
    [item] = [i for i in queue.items if i.message.id == sent.message.id]
    assert (item.source, item.reason, item.flag_count) == (ReviewSource.FLAG, "creepy", 1)
    claimed = await moderator.ok("claim_review_item", item_id=item.id)
    assert claimed.item.claimed_by == moderator.user.id
    voted = await moderator.ok(
        "review_vote", item_id=item.id, choice="remove", category="harassment"
    )
    assert voted.item.state is ReviewState.RESOLVED
    told = await alice.event(
        MessageModerationStatusChanged,
        message_id=sent.message.id,
        moderation_status=ModerationStatus.REMOVED,
    )
    assert told.event.reason == "Moderators removed your message for harassment."

    audit = await moderator.ok("audit_log_list", actor_id=moderator.user.id)
    assert [e.action for e in audit.entries] == ["vote:remove", "claim"]
    stats = (await moderator.ok("get_moderation_stats")).stats
    assert stats.reviewed >= 1
    assert stats.latency_p50_ms is not None
