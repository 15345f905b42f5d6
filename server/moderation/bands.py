"""Score bands and routing: tier 1 hits and tier 2 (or 3) scores become one decision.

Bands over the overall score, lowest first: ML_OK (approve), ML_UNCERTAIN (approve unless
tier 3 says otherwise), ML_BAD_MIDDLE (flag: visible with a warning or hidden, per
category; queued for review), ML_BAD_HIGH (held for human review with a higher priority),
and optionally a removal threshold. A rule hit can only make a decision stricter.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

import msgspec

from parley.server.moderation.automations import Action, RuleHit, strongest
from parley.shared.models import ModerationStatus


class Band(StrEnum):
    OK = "ML_OK"
    UNCERTAIN = "ML_UNCERTAIN"
    BAD_MIDDLE = "ML_BAD_MIDDLE"
    BAD_HIGH = "ML_BAD_HIGH"


class ReviewPriority(IntEnum):
    """Order of the human review queue; user flags (next phase) slot in beside these."""

    NONE = 0
    MIDDLE = 1  # ML_BAD_MIDDLE, or the LLM flagged an uncertain message
    HIGH = 2  # ML_BAD_HIGH, or a rule asked for review


class Verdict(StrEnum):
    APPROVE = "approve"
    FLAG = "flag"
    REVIEW = "review"
    REMOVE = "remove"


_RULE_VERDICT = {
    Action.FLAG: Verdict.FLAG,
    Action.REVIEW: Verdict.REVIEW,
    Action.REMOVE: Verdict.REMOVE,
}
_STRENGTH = {Verdict.APPROVE: 0, Verdict.FLAG: 1, Verdict.REVIEW: 2, Verdict.REMOVE: 3}


@dataclass(frozen=True, slots=True)
class BandThresholds:
    uncertain: float
    flag: float
    high: float
    remove: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.uncertain <= self.flag <= self.high <= 1.0:
            raise ValueError("band thresholds must satisfy 0 ≤ uncertain ≤ flag ≤ high ≤ 1")
        if self.remove is not None and self.remove < self.high:
            raise ValueError("the remove threshold must not be below the high threshold")

    def band(self, overall: float) -> Band:
        if overall >= self.high:
            return Band.BAD_HIGH
        if overall >= self.flag:
            return Band.BAD_MIDDLE
        if overall >= self.uncertain:
            return Band.UNCERTAIN
        return Band.OK


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """What the pipeline decided about one message, and why."""

    status: ModerationStatus
    verdict: Verdict
    band: Band
    overall: float
    categories: dict[str, float]
    category: str | None  # the category behind a non-approve verdict
    rule: str | None  # the tier 1 rule that fired, if any
    tier: int  # 1 rules, 2 local model, 3 LLM
    review_priority: ReviewPriority
    reason: str  # for the sender; empty when approved
    model_version: str = ""


@dataclass(frozen=True, slots=True)
class LlmVerdict:
    flagged: bool
    category: str | None
    score: float


def _reason(verdict: Verdict, status: ModerationStatus, category: str | None) -> str:
    what = (category or "harmful content").replace("_", "-")
    if verdict is Verdict.APPROVE:
        return ""
    if verdict is Verdict.REMOVE:
        return f"Your message was removed for {what}."
    if verdict is Verdict.REVIEW:
        return f"Your message is hidden while a moderator reviews it for {what}."
    if status is ModerationStatus.HIDDEN:
        return f"Your message was flagged for {what} and is hidden until a moderator reviews it."
    return f"Your message was flagged for {what}; the receiver sees it with a warning."


def route(
    overall: float,
    categories: dict[str, float],
    hits: list[RuleHit],
    thresholds: BandThresholds,
    hidden_categories: frozenset[str],
    llm: LlmVerdict | None = None,
    model_version: str = "",
) -> Decision:
    """Combine rule hits, model scores and an optional LLM verdict into a decision.

    Rule hits raise their category's score to the rule's score (a hit never lowers one),
    so the overall score and the band already account for tier 1.
    """
    merged = dict(categories)
    for hit in hits:
        merged[hit.category] = max(merged.get(hit.category, 0.0), hit.score)
    overall = max([overall, *(h.score for h in hits)])
    band = thresholds.band(overall)
    tier = 2
    top = max(merged, key=lambda c: merged[c]) if merged else None

    verdict, priority, category = Verdict.APPROVE, ReviewPriority.NONE, None
    if thresholds.remove is not None and overall >= thresholds.remove:
        verdict, category = Verdict.REMOVE, top
    elif band is Band.BAD_HIGH:
        verdict, priority, category = Verdict.REVIEW, ReviewPriority.HIGH, top
    elif band is Band.BAD_MIDDLE:
        verdict, priority, category = Verdict.FLAG, ReviewPriority.MIDDLE, top
    elif band is Band.UNCERTAIN and llm is not None:
        tier = 3
        if llm.flagged:
            category = llm.category or top
            verdict, priority = Verdict.FLAG, ReviewPriority.MIDDLE

    decisive = strongest(hits)
    rule: str | None = None
    if decisive is not None:
        rule = decisive.rule
        wanted = _RULE_VERDICT[decisive.action]
        if _STRENGTH[wanted] >= _STRENGTH[verdict]:
            verdict, category, tier = wanted, decisive.category, 1
            if wanted is Verdict.REVIEW:
                priority = ReviewPriority.HIGH

    if verdict is Verdict.APPROVE:
        status = ModerationStatus.APPROVED
    elif verdict is Verdict.FLAG:
        hidden = category in hidden_categories
        status = ModerationStatus.HIDDEN if hidden else ModerationStatus.FLAGGED
    elif verdict is Verdict.REVIEW:
        status = ModerationStatus.IN_REVIEW
    else:
        status, priority = ModerationStatus.REMOVED, ReviewPriority.NONE
    return Decision(
        status=status,
        verdict=verdict,
        band=band,
        overall=round(overall, 4),
        categories={c: round(s, 4) for c, s in merged.items()},
        category=category if verdict is not Verdict.APPROVE else None,
        rule=rule,
        tier=tier,
        review_priority=priority,
        reason=_reason(verdict, status, category),
        model_version=model_version,
    )
