"""What moderators see and send: review items, votes, audit entries, pipeline metrics.

Shared because they are both what the store returns and what travels in the moderator
frames of the protocol (docs/protocol.md, "Moderator API"); the admin window decodes the
same structs.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec

from .models import Message


class VoteChoice(StrEnum):
    """A reviewer's vote; ``restrict`` keeps the message with a warning or hides it."""

    APPROVE = "approve"
    RESTRICT = "restrict"
    REMOVE = "remove"


class ReviewSource(StrEnum):
    """Why an item is in the review queue."""

    MODEL = "model"  # the pipeline flagged it or asked for review
    FLAG = "flag"  # users flagged it
    CONTROL = "control"  # sampled from auto-approved traffic, to measure what it misses


class ReviewState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class ReviewVote(msgspec.Struct, frozen=True, kw_only=True):
    moderator_id: int
    choice: VoteChoice
    category: str | None = None
    cast_at: datetime


class ReviewItem(msgspec.Struct, frozen=True, kw_only=True):
    """One message waiting for (or decided by) human review."""

    id: int
    message: Message
    source: ReviewSource
    priority: int
    category: str | None = None
    reason: str = ""
    flag_count: int = 0
    votes_needed: int
    votes: list[ReviewVote] = []
    state: ReviewState = ReviewState.OPEN
    claimed_by: int | None = None
    lease_until: datetime | None = None
    outcome: VoteChoice | None = None
    outcome_category: str | None = None
    model_verdict: str | None = None  # approve | flag | review | remove, when decided
    created_at: datetime
    resolved_at: datetime | None = None


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One moderator action (``actor_id`` null for the pipeline itself)."""

    id: int
    actor_id: int | None
    action: str
    target_kind: str  # message | user | review_item
    target_id: int
    detail: str = ""
    created_at: datetime


class ModerationStats(msgspec.Struct, frozen=True, kw_only=True):
    """Quality of the automatic decisions against human review, and pipeline health.

    Positive means "not fine" (a model verdict other than approve; a human vote of restrict
    or remove). Rates are null when nothing was reviewed yet.
    """

    reviewed: int
    accuracy: float | None
    precision: float | None
    recall: float | None
    false_positive_rate: float | None
    control_reviewed: int
    control_missed: int  # control items humans restricted or removed: what the model misses
    decisions: int  # automatic decisions in the latency window
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    backlog: int  # committed messages not yet decided (the durable queue)
    review_open: int
