"""The moderation operations of the SQL Server store (:class:`ModerationStore`).

A mixin of :class:`~parley.server.store.mssql.MssqlStore`: each operation is one call of
its procedure in ``sql/mssql/procedures`` (``mssql_procedures.MODERATION_OPERATIONS``),
one transaction, through the store's one retry loop. The rules live where the SQLite
store keeps them: status changes go through dbo.ApplyModerationChange, the same code as
SetMessageModerationStatus; the flag priorities are passed from ``review_queue``; the
majority rule of ``votes`` is restated in dbo.CastReviewVote, because resolving must
happen in the transaction that casts the deciding vote (the contract suite holds both
stores to the same outcomes). Batches travel as JSON, which every ODBC driver binds as
one nvarchar(MAX).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec

from parley.server.moderation.review_queue import (
    FLAG_BASE_PRIORITY,
    FLAG_MAX_PRIORITY,
    FLAG_STEP,
)
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.models import Message
from parley.shared.moderation import (
    AuditEntry,
    ReviewItem,
    ReviewSource,
    ReviewState,
    ReviewVote,
    VoteChoice,
)

from . import mssql_procedures as procs
from .moderation import (
    ApplyOutcome,
    DecisionRecord,
    ReviewedDecision,
    ReviewFilter,
    StatsInputs,
    TrainingLabel,
    VoteOutcome,
)
from .mssql_rows import events_from_rows, message_from_row, py_time, sql_time

if TYPE_CHECKING:
    from .mssql import ResultSets

_ITEM_COLUMNS = 16  # ReviewItemRows: the item's columns, then the message's


def _optional_time(value: datetime | str | None) -> datetime | None:
    return None if value is None else py_time(value)


def _votes_by_item(rows: Sequence[Sequence[Any]]) -> dict[int, list[ReviewVote]]:
    """ItemId, ModeratorId, Vote, Category, CreatedAt rows, in the order cast."""
    votes: dict[int, list[ReviewVote]] = {}
    for row in rows:
        votes.setdefault(int(row[0]), []).append(
            ReviewVote(
                moderator_id=int(row[1]),
                choice=VoteChoice(row[2]),
                category=row[3],
                cast_at=py_time(row[4]),
            )
        )
    return votes


def review_items(
    item_rows: Sequence[Sequence[Any]], vote_rows: Sequence[Sequence[Any]]
) -> list[ReviewItem]:
    """The two result sets of dbo.ReviewItemRows as ReviewItem objects, in row order."""
    votes = _votes_by_item(vote_rows)
    return [
        ReviewItem(
            id=int(row[0]),
            message=message_from_row(row[_ITEM_COLUMNS:]),
            source=ReviewSource(row[2]),
            priority=int(row[3]),
            category=row[4],
            reason=row[5],
            flag_count=int(row[6]),
            votes_needed=int(row[7]),
            votes=votes.get(int(row[0]), []),
            state=ReviewState(row[8]),
            claimed_by=None if row[9] is None else int(row[9]),
            lease_until=_optional_time(row[10]),
            outcome=None if row[11] is None else VoteChoice(row[11]),
            outcome_category=row[12],
            created_at=py_time(row[13]),
            resolved_at=_optional_time(row[14]),
            model_verdict=row[15],
        )
        for row in item_rows
    ]


def _one_item(sets: ResultSets) -> ReviewItem:
    items = review_items(sets[-2], sets[-1])
    if not items:
        # The procedure returns the item it just wrote; only a vanished message gets here.
        raise ParleyError(ErrorCode.NOT_FOUND, "The message of this review item is gone.")
    return items[0]


def _filter_args(query: ReviewFilter) -> tuple[str, str | None, str | None, int]:
    source = None if query.source is None else query.source.value
    return query.state.value, source, query.category, query.min_priority


def _now() -> str:
    return sql_time(datetime.now(UTC))


class MssqlModerationStore:
    """The :class:`~parley.server.store.moderation.ModerationStore` half of MssqlStore."""

    if TYPE_CHECKING:

        async def _call(self, procedure: procs.Procedure, *args: Any) -> ResultSets: ...

    async def get_unmoderated_messages(self, *, after_id: int, limit: int) -> list[Message]:
        if limit <= 0:
            return []
        sets = await self._call(procs.GET_UNMODERATED_MESSAGES, after_id, limit)
        return [message_from_row(row) for row in sets[0]] if sets else []

    async def apply_moderation_decisions(
        self, decisions: list[DecisionRecord], *, votes_needed: int
    ) -> ApplyOutcome:
        if not decisions:
            return ApplyOutcome(applied=[], skipped=[], events=[])
        batch = msgspec.json.encode(decisions).decode()
        sets = await self._call(procs.APPLY_MODERATION_DECISIONS, batch, votes_needed, _now())
        results = [(int(row[0]), bool(row[1])) for row in sets[-1]]
        return ApplyOutcome(
            applied=[message_id for message_id, applied in results if applied],
            skipped=[message_id for message_id, applied in results if not applied],
            events=events_from_rows(sets[0]),
        )

    async def flag_message_for_review(
        self, *, user_id: int, message_id: int, reason: str, votes_needed: int
    ) -> int:
        sets = await self._call(
            procs.FLAG_MESSAGE_FOR_REVIEW,
            user_id,
            message_id,
            reason,
            votes_needed,
            FLAG_BASE_PRIORITY,
            FLAG_STEP,
            FLAG_MAX_PRIORITY,
            _now(),
        )
        return int(sets[-1][0][0])

    async def list_review_queue(self, query: ReviewFilter) -> list[ReviewItem]:
        if query.limit <= 0:
            return []
        sets = await self._call(procs.LIST_REVIEW_QUEUE, *_filter_args(query), query.limit)
        return review_items(sets[-2], sets[-1])

    async def get_review_item(self, item_id: int) -> ReviewItem | None:
        sets = await self._call(procs.GET_REVIEW_ITEM, item_id)
        items = review_items(sets[-2], sets[-1])
        return items[0] if items else None

    async def claim_review_item(
        self,
        *,
        moderator_id: int,
        item_id: int | None,
        lease_until: datetime,
        now: datetime,
        query: ReviewFilter | None = None,
    ) -> ReviewItem:
        sets = await self._call(
            procs.CLAIM_REVIEW_ITEM,
            moderator_id,
            item_id,
            sql_time(lease_until),
            sql_time(now),
            *_filter_args(query or ReviewFilter()),
        )
        return _one_item(sets)

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
        sets = await self._call(
            procs.CAST_REVIEW_VOTE,
            moderator_id,
            item_id,
            choice.value,
            category,
            sql_time(now),
            json.dumps(sorted(hidden_categories)),
        )
        return VoteOutcome(
            item=_one_item(sets),
            resolved=bool(sets[1][0][0]),
            events=events_from_rows(sets[0]),
        )

    async def append_audit_log(
        self, *, actor_id: int | None, action: str, target_kind: str, target_id: int, detail: str
    ) -> None:
        await self._call(
            procs.APPEND_AUDIT_LOG, actor_id, action, target_kind, target_id, detail, _now()
        )

    async def list_audit_log(
        self, *, actor_id: int | None, before_id: int | None, limit: int
    ) -> list[AuditEntry]:
        if limit <= 0:
            return []
        sets = await self._call(procs.LIST_AUDIT_LOG, actor_id, before_id, limit)
        return [
            AuditEntry(
                id=int(row[0]),
                actor_id=None if row[1] is None else int(row[1]),
                action=row[2],
                target_kind=row[3],
                target_id=int(row[4]),
                detail=row[5],
                created_at=py_time(row[6]),
            )
            for row in (sets[0] if sets else [])
        ]

    async def get_moderation_stats_inputs(self, *, latency_window: int) -> StatsInputs:
        sets = await self._call(procs.GET_MODERATION_STATS, max(latency_window, 0))
        reviewed, latencies, backlog, review_open = sets
        return StatsInputs(
            reviewed=[
                ReviewedDecision(
                    source=ReviewSource(row[0]), model_verdict=row[1], outcome=VoteChoice(row[2])
                )
                for row in reviewed
            ],
            latencies_us=[int(row[0]) for row in latencies],
            backlog=int(backlog[0][0]),
            review_open=int(review_open[0][0]),
        )

    async def list_training_labels(self) -> list[TrainingLabel]:
        sets = await self._call(procs.LIST_TRAINING_LABELS)
        return [
            TrainingLabel(
                message_id=int(row[0]),
                text=row[1],
                toxic=bool(row[2]),
                category=row[3],
                source=ReviewSource(row[4]),
                created_at=py_time(row[5]),
            )
            for row in (sets[0] if sets else [])
        ]
