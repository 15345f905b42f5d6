"""The moderator API and the in-server worker, end to end over real websockets.

A real server on 127.0.0.1 with a temporary SQLite file runs its moderation worker as
the default does; the engine is loaded the way the server loads it, with a rules file
from the test (``PARLEY_MODERATION_RULES_FILE``) so that decisions are known in advance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from parley.server.settings import Settings
from parley.shared import protocol as p
from parley.shared.errors import ErrorCode
from parley.shared.events import MessageModerationStatusChanged, MessageReceived
from parley.shared.models import ModerationStatus, PreModerationStatus
from parley.shared.moderation import ReviewSource, ReviewState

from .pipeline import CLEAN, HATEFUL, PROFANE, RULES

FIRST_DECISION = 60.0  # the engine loads in a thread when the server starts


@pytest.fixture
def settings(database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    monkeypatch.setenv("PARLEY_MODERATION_RULES_FILE", str(rules))
    return Settings(
        host="127.0.0.1",
        port=0,
        database_url=f"sqlite:///{database}",
        argon2_time_cost=1,
        argon2_memory_kib=8,
        use_uvloop=False,
        coalesce_ms=2.0,
        premoderate_first=True,
        moderation_votes_needed=1,
        moderation_poll_ms=5.0,
        moderation_control_rate=0.0,
    )


MODERATOR_FRAMES: list[tuple[str, dict[str, Any]]] = [
    ("review_queue_list", {}),
    ("claim_review_item", {}),
    ("review_vote", {"item_id": 1, "choice": "remove"}),
    ("audit_log_list", {}),
    ("get_moderation_stats", {}),
    ("set_sending_blocked", {"user_id": 1, "blocked": True}),
    ("set_premoderation", {"message_id": 1, "approved": True}),
]


async def test_a_plain_user_cannot_call_any_moderator_operation(sign_up: Any) -> None:
    user = await sign_up()
    for kind, fields in MODERATOR_FRAMES:
        reply = await user.request(kind, **fields)
        assert isinstance(reply, p.Error), kind
        assert reply.code is ErrorCode.FORBIDDEN, kind


async def test_a_held_first_message_is_released_by_the_in_server_worker(sign_up: Any) -> None:
    alice, bob = await sign_up(subscribe=True), await sign_up(subscribe=True)
    sent = await alice.ok("send", client_message_id="c1", to=bob.user.id, text=CLEAN)
    assert sent.message.premoderation_status is PreModerationStatus.PENDING
    released = await bob.event(MessageReceived, within=FIRST_DECISION)
    assert released.event.message.id == sent.message.id
    told = await alice.event(MessageModerationStatusChanged, message_id=sent.message.id)
    assert told.event.premoderation_status is PreModerationStatus.APPROVED
    assert told.event.moderation_status is ModerationStatus.APPROVED


async def test_a_held_first_message_is_rejected_and_the_sender_told_why(sign_up: Any) -> None:
    alice, bob = await sign_up(subscribe=True), await sign_up(subscribe=True)
    sent = await alice.ok("send", client_message_id="c1", to=bob.user.id, text="kaboom, bob")
    told = await alice.event(
        MessageModerationStatusChanged, within=FIRST_DECISION, message_id=sent.message.id
    )
    assert told.event.premoderation_status is PreModerationStatus.REJECTED
    assert told.event.moderation_status is ModerationStatus.REMOVED
    assert "threat" in told.event.reason
    await bob.nothing_more(p.EventFrame)
    page = await bob.ok("history", conversation_id=sent.message.conversation_id)
    assert page.messages == []


async def test_a_flag_is_reviewed_through_the_api_and_every_step_is_audited(
    sign_up: Any, moderator: Any
) -> None:
    alice, bob = await sign_up(subscribe=True), await sign_up(subscribe=True)
    sent = await alice.ok("send", client_message_id="c1", to=bob.user.id, text=CLEAN)
    await bob.event(MessageReceived, within=FIRST_DECISION)
    await bob.ok("flag_message", message_id=sent.message.id, reason="creepy")

    queue = await moderator.ok("review_queue_list", source="flag")
    assert isinstance(queue, p.ReviewQueue)
    [item] = queue.items
    assert (item.message.id, item.source, item.reason) == (
        sent.message.id,
        ReviewSource.FLAG,
        "creepy",
    )
    claimed = await moderator.ok("claim_review_item")
    assert claimed.item.id == item.id
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

    await moderator.ok("set_sending_blocked", user_id=alice.user.id, blocked=True, reason="abuse")
    audit = await moderator.ok("audit_log_list", actor_id=moderator.user.id)
    assert [e.action for e in audit.entries] == ["block_sending", "vote:remove", "claim"]
    stats = (await moderator.ok("get_moderation_stats")).stats
    # the pipeline approved what the moderator removed: a miss, and no negatives yet
    assert (stats.reviewed, stats.accuracy, stats.recall) == (1, 0.0, 0.0)
    assert stats.precision is None
    assert stats.false_positive_rate is None
    assert stats.decisions == 1
    assert stats.latency_p50_ms is not None
    assert stats.backlog == 0
    assert stats.review_open == 0


async def test_bad_moderator_requests_get_clear_errors(moderator: Any) -> None:
    unknown = await moderator.request("review_queue_list", category="rudeness")
    assert unknown.code is ErrorCode.INVALID_FIELD
    assert "rudeness" in unknown.message
    too_many = await moderator.request("audit_log_list", limit=10_000)
    assert too_many.code is ErrorCode.INVALID_FIELD
    missing = await moderator.request("claim_review_item", item_id=999)
    assert missing.code is ErrorCode.NOT_FOUND
    nothing = await moderator.request("claim_review_item")
    assert nothing.code is ErrorCode.NOT_FOUND
    bad_choice = await moderator.request("review_vote", item_id=1, choice="ban")
    assert bad_choice.code is ErrorCode.INVALID_FIELD


async def test_bands_route_flagged_and_held_messages_and_both_users_hear(sign_up: Any) -> None:
    alice, bob = await sign_up(subscribe=True), await sign_up(subscribe=True)
    await alice.ok("send", client_message_id="c0", to=bob.user.id, text=CLEAN)
    await bob.event(MessageReceived, within=FIRST_DECISION)

    flagged = await alice.ok("send", client_message_id="c1", to=bob.user.id, text=PROFANE)
    told = await alice.event(
        MessageModerationStatusChanged, within=FIRST_DECISION, message_id=flagged.message.id
    )
    assert told.event.moderation_status is ModerationStatus.FLAGGED
    assert "warning" in told.event.reason
    seen = await bob.event(MessageModerationStatusChanged, message_id=flagged.message.id)
    assert seen.event.moderation_status is ModerationStatus.FLAGGED

    held = await alice.ok("send", client_message_id="c2", to=bob.user.id, text=HATEFUL)
    told = await alice.event(
        MessageModerationStatusChanged, within=FIRST_DECISION, message_id=held.message.id
    )
    assert told.event.moderation_status is ModerationStatus.IN_REVIEW
    page = await bob.ok("history", conversation_id=held.message.conversation_id)
    shown = {m.id: m.moderation_status for m in page.messages}
    assert held.message.id not in shown
    assert shown[flagged.message.id] is ModerationStatus.FLAGGED
