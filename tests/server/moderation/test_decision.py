"""``Moderator.decide``: the entry point the worker calls, with the shipped model and rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from parley.server.moderation.automations import RuleSet
from parley.server.moderation.bands import Band, Verdict
from parley.server.moderation.decision import Message, Moderator
from parley.server.moderation.model import ModerationModel
from parley.shared.models import ModerationStatus

SENT = datetime(2026, 1, 1, tzinfo=UTC)


async def test_benign_message_is_approved(model: ModerationModel) -> None:
    moderator = Moderator(model, RuleSet())
    d = await moderator.decide(
        "see you at the standup tomorrow", sender_id=1, receiver_id=2, sent_at=SENT
    )
    assert (d.status, d.band, d.rule, d.reason) == (ModerationStatus.APPROVED, Band.OK, None, "")
    assert d.model_version == model.version


async def test_abusive_message_is_flagged_or_held_with_a_reason(model: ModerationModel) -> None:
    moderator = Moderator(model, RuleSet())
    d = await moderator.decide(
        "you are a pathetic worthless idiot, nobody wants you here",
        sender_id=1,
        receiver_id=2,
        sent_at=SENT,
    )
    assert d.verdict in (Verdict.FLAG, Verdict.REVIEW)
    assert d.status in (
        ModerationStatus.FLAGGED,
        ModerationStatus.HIDDEN,
        ModerationStatus.IN_REVIEW,
    )
    assert d.reason.startswith("Your message")


async def test_self_harm_goes_to_review_by_rule(model: ModerationModel) -> None:
    moderator = Moderator(model, RuleSet())
    d = await moderator.decide("i want to kill myself", sender_id=1, receiver_id=2, sent_at=SENT)
    assert d.status is ModerationStatus.IN_REVIEW
    assert (d.tier, d.category) == (1, "self_harm")
    assert d.rule is not None
    assert d.rule.startswith("self_harm.")


async def test_campaign_to_many_receivers_is_caught_as_spam(model: ModerationModel) -> None:
    moderator = Moderator(model, RuleSet())
    pitch = "Great news, I have a business opportunity for you, write me back"
    batch = [Message(pitch, 1, r, SENT + timedelta(seconds=r)) for r in range(2, 8)]
    decisions = await moderator.decide_many(batch)
    assert decisions[0].rule is None
    assert decisions[-1].rule == "spam.same_text_many_receivers"
    assert decisions[-1].status is ModerationStatus.HIDDEN
