"""Band routing: scores and rule hits become a status, a band, a priority and a reason."""

from __future__ import annotations

import pytest

from parley.server.moderation.automations import Action, RuleHit
from parley.server.moderation.bands import (
    Band,
    BandThresholds,
    LlmVerdict,
    ReviewPriority,
    Verdict,
    route,
)
from parley.shared.models import ModerationStatus

BANDS = BandThresholds(uncertain=0.3, flag=0.5, high=0.9)
HIDDEN = frozenset({"sexual", "hate"})


def scores(top: str, value: float) -> dict[str, float]:
    out = {"harassment": 0.05, "hate": 0.05, "sexual": 0.05, "profanity": 0.05}
    out[top] = value
    return out


def test_low_score_is_approved_without_reason() -> None:
    d = route(0.1, scores("hate", 0.1), [], BANDS, HIDDEN)
    assert (d.status, d.verdict, d.band, d.tier) == (
        ModerationStatus.APPROVED,
        Verdict.APPROVE,
        Band.OK,
        2,
    )
    assert d.reason == ""
    assert d.category is None
    assert d.review_priority is ReviewPriority.NONE


def test_middle_band_flags_visible_or_hidden_per_category() -> None:
    visible = route(0.6, scores("profanity", 0.6), [], BANDS, HIDDEN)
    hidden = route(0.6, scores("sexual", 0.6), [], BANDS, HIDDEN)
    assert visible.band is hidden.band is Band.BAD_MIDDLE
    assert visible.status is ModerationStatus.FLAGGED
    assert hidden.status is ModerationStatus.HIDDEN
    assert "warning" in visible.reason
    assert "hidden" in hidden.reason
    assert visible.review_priority is ReviewPriority.MIDDLE


def test_high_band_goes_to_review_above_middle() -> None:
    high = route(0.95, scores("harassment", 0.95), [], BANDS, HIDDEN)
    middle = route(0.6, scores("harassment", 0.6), [], BANDS, HIDDEN)
    assert high.status is ModerationStatus.IN_REVIEW
    assert high.band is Band.BAD_HIGH
    assert high.review_priority > middle.review_priority
    assert high.category == "harassment"


def test_remove_threshold_removes_and_tells_why() -> None:
    bands = BandThresholds(uncertain=0.3, flag=0.5, high=0.8, remove=0.97)
    d = route(0.99, scores("hate", 0.99), [], bands, HIDDEN)
    assert d.status is ModerationStatus.REMOVED
    assert d.reason == "Your message was removed for hate."


def test_rule_hit_makes_a_decision_stricter_and_is_recorded() -> None:
    hit = RuleHit("self_harm.pattern:0", "self_harm", Action.REVIEW, 0.85)
    d = route(0.05, scores("hate", 0.05), [hit], BANDS, HIDDEN)
    assert (d.verdict, d.tier, d.rule, d.category) == (
        Verdict.REVIEW,
        1,
        "self_harm.pattern:0",
        "self_harm",
    )
    assert d.categories["self_harm"] == 0.85
    assert d.overall == 0.85
    assert d.review_priority is ReviewPriority.HIGH


def test_weak_rule_does_not_soften_a_strong_model_decision() -> None:
    hit = RuleHit("profanity.word:fuck", "profanity", Action.FLAG, 0.0)
    d = route(0.95, scores("harassment", 0.95), [hit], BANDS, HIDDEN)
    assert d.verdict is Verdict.REVIEW
    assert d.tier == 2
    assert d.rule == "profanity.word:fuck"  # still recorded


def test_uncertain_band_uses_the_llm_verdict() -> None:
    flagged = route(0.4, scores("hate", 0.4), [], BANDS, HIDDEN, LlmVerdict(True, "sexual", 0.9))
    cleared = route(0.4, scores("hate", 0.4), [], BANDS, HIDDEN, LlmVerdict(False, None, 0.1))
    alone = route(0.4, scores("hate", 0.4), [], BANDS, HIDDEN)
    assert flagged.band is Band.UNCERTAIN
    assert (flagged.verdict, flagged.tier, flagged.category) == (Verdict.FLAG, 3, "sexual")
    assert (cleared.verdict, cleared.tier) == (Verdict.APPROVE, 3)
    assert (alone.verdict, alone.tier) == (Verdict.APPROVE, 2)


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match=r"uncertain ≤ flag ≤ high"):
        BandThresholds(uncertain=0.6, flag=0.5, high=0.9)
    with pytest.raises(ValueError, match="remove"):
        BandThresholds(uncertain=0.3, flag=0.5, high=0.9, remove=0.8)
