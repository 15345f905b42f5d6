"""The store operations of the moderation pipeline, named after the procedures they mirror.

Kept apart from :class:`~parley.server.store.interface.Store` because a backend may serve
chat before it serves moderation (the server checks ``isinstance(store, ModerationStore)``
before starting the worker); SQLite (``sqlite_moderation``) and SQL Server
(``mssql_moderation``) both implement it. Every write is one transaction:
ApplyModerationDecisions sets the status, records the decision, queues the review item
and appends the events together, and does nothing for a message that is no longer
unspecified, so a worker that crashes and decides the same messages again neither loses
nor double-applies a decision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

import msgspec

from parley.shared.events import UserEvent
from parley.shared.models import Message, ModerationStatus
from parley.shared.moderation import (
    AuditEntry,
    ReviewItem,
    ReviewSource,
    ReviewState,
    VoteChoice,
)


class DecisionRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One automatic decision to apply; ``review_priority`` > 0 queues it for review."""

    message_id: int
    status: ModerationStatus
    verdict: str
    band: str
    overall: float
    category: str | None = None
    rule: str | None = None
    tier: int
    reason: str = ""
    model_version: str = ""
    review_source: ReviewSource | None = None
    review_priority: int = 0


class ApplyOutcome(msgspec.Struct, frozen=True, kw_only=True):
    applied: list[int]  # message ids whose decision was written now
    skipped: list[int]  # already decided (or gone): nothing written
    events: list[UserEvent]


class ReviewFilter(msgspec.Struct, frozen=True, kw_only=True):
    state: ReviewState = ReviewState.OPEN
    source: ReviewSource | None = None
    category: str | None = None
    min_priority: int = 0
    limit: int = 50


class VoteOutcome(msgspec.Struct, frozen=True, kw_only=True):
    item: ReviewItem
    resolved: bool
    events: list[UserEvent]


class ReviewedDecision(msgspec.Struct, frozen=True, kw_only=True):
    """A resolved review item beside what the pipeline had decided, for the metrics."""

    source: ReviewSource
    model_verdict: str | None
    outcome: VoteChoice


class StatsInputs(msgspec.Struct, frozen=True, kw_only=True):
    reviewed: list[ReviewedDecision]
    latencies_us: list[int]  # commit -> decision, most recent decisions first
    backlog: int
    review_open: int


class TrainingLabel(msgspec.Struct, frozen=True, kw_only=True):
    message_id: int
    text: str
    toxic: bool
    category: str | None
    source: ReviewSource
    created_at: datetime


@runtime_checkable
class ModerationStore(Protocol):
    async def get_unmoderated_messages(self, *, after_id: int, limit: int) -> list[Message]:
        """GetUnmoderatedMessages: hot messages still unspecified, in id order."""
        ...

    async def apply_moderation_decisions(
        self, decisions: list[DecisionRecord], *, votes_needed: int
    ) -> ApplyOutcome:
        """ApplyModerationDecision for a batch, idempotently (see the module docstring).

        A held first message is released when approved or flagged, rejected when removed,
        and stays held while it waits for human review.
        """
        ...

    async def flag_message_for_review(
        self, *, user_id: int, message_id: int, reason: str, votes_needed: int
    ) -> int:
        """FlagMessage + EnqueueReviewItem: the flag count; each new flag raises priority."""
        ...

    async def list_review_queue(self, query: ReviewFilter) -> list[ReviewItem]:
        """ListReviewQueue: by priority (highest first), then oldest first."""
        ...

    async def get_review_item(self, item_id: int) -> ReviewItem | None: ...

    async def claim_review_item(
        self,
        *,
        moderator_id: int,
        item_id: int | None,
        lease_until: datetime,
        now: datetime,
        query: ReviewFilter | None = None,
    ) -> ReviewItem:
        """ClaimReviewItem: a given item, or the next one this moderator has not voted on.

        CONFLICT when another moderator's lease is live or the item is resolved; NOT_FOUND
        when there is no such item (or nothing to claim).
        """
        ...

    async def cast_review_vote(
        self,
        *,
        moderator_id: int,
        item_id: int,
        choice: VoteChoice,
        category: str | None,
        now: datetime,
        hidden_categories: frozenset[str],
    ) -> VoteOutcome:
        """CastReviewVote (the voter must hold the lease) and, when the majority is
        reached, ResolveReviewItem: status set, sender told, confirmed label kept."""
        ...

    async def append_audit_log(
        self, *, actor_id: int | None, action: str, target_kind: str, target_id: int, detail: str
    ) -> None: ...

    async def list_audit_log(
        self, *, actor_id: int | None, before_id: int | None, limit: int
    ) -> list[AuditEntry]:
        """Newest first."""
        ...

    async def get_moderation_stats_inputs(self, *, latency_window: int) -> StatsInputs: ...

    async def list_training_labels(self) -> list[TrainingLabel]: ...
