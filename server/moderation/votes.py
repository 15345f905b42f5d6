"""Majority votes of human reviewers, as plain rules (no store, no clock).

An item needs ``votes_needed`` votes; once it has at least that many, the choice with the
most votes decides. A tie at the top decides nothing: the item stays open for one more
vote, so an even split is never settled by who voted first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from parley.shared.models import ModerationStatus, PreModerationStatus
from parley.shared.moderation import ReviewVote, VoteChoice

MAX_VOTES_NEEDED = 15


@dataclass(frozen=True, slots=True)
class Outcome:
    choice: VoteChoice
    category: str | None  # the most named category among the winning votes


def tally(votes: Sequence[ReviewVote], votes_needed: int) -> Outcome | None:
    """The decided outcome, or None while more votes are needed (too few, or a tie)."""
    if votes_needed < 1:
        raise ValueError("votes_needed is at least 1")
    if len(votes) < votes_needed:
        return None
    counts = Counter(vote.choice for vote in votes)
    ranked = counts.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    choice = ranked[0][0]
    named = Counter(v.category for v in votes if v.choice is choice and v.category)
    category = named.most_common(1)[0][0] if named else None
    return Outcome(choice, category)


def status_for(
    outcome: Outcome, hidden_categories: frozenset[str]
) -> tuple[ModerationStatus, PreModerationStatus | None]:
    """The message's moderation status after review, and its pre-moderation status.

    ``restrict`` hides the message when its category is one the settings hide, else keeps
    it visible with a warning, like an automatic flag. A held first message is released
    unless removed. The second value is None when the pre-moderation status is not
    touched (for messages that were not held).
    """
    if outcome.choice is VoteChoice.APPROVE:
        return ModerationStatus.APPROVED, PreModerationStatus.APPROVED
    if outcome.choice is VoteChoice.REMOVE:
        return ModerationStatus.REMOVED, PreModerationStatus.REJECTED
    if outcome.category is not None and outcome.category in hidden_categories:
        return ModerationStatus.HIDDEN, PreModerationStatus.APPROVED
    return ModerationStatus.FLAGGED, PreModerationStatus.APPROVED


def reason_for(outcome: Outcome) -> str:
    """What the sender is told after review."""
    what = (outcome.category or "harmful content").replace("_", "-")
    if outcome.choice is VoteChoice.APPROVE:
        return ""
    if outcome.choice is VoteChoice.REMOVE:
        return f"Moderators removed your message for {what}."
    return f"Moderators restricted your message for {what}."
