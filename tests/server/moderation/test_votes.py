"""Majority votes as plain rules: enough votes, a strict winner, ties wait for more."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley.server.moderation.votes import Outcome, status_for, tally
from parley.shared.models import ModerationStatus, PreModerationStatus
from parley.shared.moderation import ReviewVote, VoteChoice

A, R, X = VoteChoice.APPROVE, VoteChoice.RESTRICT, VoteChoice.REMOVE


def votes(*choices: VoteChoice, category: str | None = None) -> list[ReviewVote]:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        ReviewVote(moderator_id=n, choice=c, category=category, cast_at=at)
        for n, c in enumerate(choices, start=1)
    ]


def test_too_few_votes_decide_nothing() -> None:
    assert tally(votes(X, X), 3) is None


def test_the_majority_decides_once_enough_votes_are_in() -> None:
    assert tally(votes(A, X, X, category="hate"), 3) == Outcome(X, "hate")


def test_a_plurality_decides_when_the_top_is_not_tied() -> None:
    assert tally(votes(A, R, X, X), 4) == Outcome(X, None)


def test_a_tie_at_the_top_waits_for_one_more_vote() -> None:
    assert tally(votes(A, X), 2) is None
    assert tally(votes(A, X, A), 2) == Outcome(A, None)


def test_the_winning_category_is_the_one_most_winners_named() -> None:
    cast = votes(R, R, R, A)
    cast[0] = ReviewVote(moderator_id=1, choice=R, category="spam", cast_at=cast[0].cast_at)
    cast[1] = ReviewVote(moderator_id=2, choice=R, category="sexual", cast_at=cast[0].cast_at)
    cast[2] = ReviewVote(moderator_id=3, choice=R, category="sexual", cast_at=cast[0].cast_at)
    assert tally(cast, 3) == Outcome(R, "sexual")


def test_votes_needed_is_at_least_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        tally([], 0)


@given(st.lists(st.sampled_from(list(VoteChoice)), max_size=12), st.integers(1, 6))
def test_an_outcome_always_has_more_votes_than_any_other_choice(
    choices: list[VoteChoice], needed: int
) -> None:
    outcome = tally(votes(*choices), needed)
    if outcome is not None:
        assert len(choices) >= needed
        won = choices.count(outcome.choice)
        assert all(choices.count(c) < won for c in VoteChoice if c is not outcome.choice)


def test_restrict_hides_only_the_categories_the_settings_hide() -> None:
    hidden = frozenset({"hate"})
    assert status_for(Outcome(R, "hate"), hidden)[0] is ModerationStatus.HIDDEN
    assert status_for(Outcome(R, "profanity"), hidden)[0] is ModerationStatus.FLAGGED
    assert status_for(Outcome(X, None), hidden) == (
        ModerationStatus.REMOVED,
        PreModerationStatus.REJECTED,
    )
    assert status_for(Outcome(A, None), hidden) == (
        ModerationStatus.APPROVED,
        PreModerationStatus.APPROVED,
    )
