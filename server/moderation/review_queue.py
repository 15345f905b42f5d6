"""Priorities and leases of the human review queue, as plain rules.

Priorities share one integer scale so that items from the pipeline, from user flags and
control samples sort together: control samples last (they measure, nothing is wrong yet),
then the model's ML_BAD_MIDDLE, then ML_BAD_HIGH; a user flag starts between the two and
each further flag raises it, so a message many users flag overtakes anything the model
merely suspects.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from parley.server.moderation.bands import ReviewPriority

CONTROL_PRIORITY = 0
MODEL_PRIORITY = {ReviewPriority.MIDDLE: 10, ReviewPriority.HIGH: 20}
FLAG_BASE_PRIORITY = 15
FLAG_STEP = 5
FLAG_MAX_PRIORITY = 50
DEFAULT_LEASE = timedelta(minutes=5)


def model_priority(priority: ReviewPriority) -> int:
    """Queue priority of an item the pipeline sent to review (NONE is not queued)."""
    if priority is ReviewPriority.NONE:
        raise ValueError("an approved or removed message is not queued for review")
    return MODEL_PRIORITY[priority]


def flag_priority(flag_count: int) -> int:
    """Queue priority of a message flagged by ``flag_count`` distinct users."""
    if flag_count < 1:
        raise ValueError("a flagged message has at least one flag")
    return min(FLAG_BASE_PRIORITY + FLAG_STEP * (flag_count - 1), FLAG_MAX_PRIORITY)


def lease_is_live(lease_until: datetime | None, now: datetime) -> bool:
    """Whether a claim still holds; an expired lease makes the item claimable again."""
    return lease_until is not None and lease_until > now
