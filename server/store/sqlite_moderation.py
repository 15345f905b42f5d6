"""The moderation operations of the SQLite store (:class:`ModerationStore`).

A mixin of :class:`~parley.server.store.sqlite.SqliteStore`: each operation is one named
interaction on the group-committing writer (or a reader), its SQL in the functions below.
Status changes reuse the chat procedures' ``_moderation_change`` so that who hears about a
message, unread counts and held first messages follow exactly the rules of
SetMessageModerationStatus.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from parley.server.moderation.review_queue import flag_priority
from parley.server.moderation.votes import reason_for, status_for, tally
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.events import UserEvent
from parley.shared.models import Message, ModerationStatus, PreModerationStatus
from parley.shared.moderation import (
    AuditEntry,
    ReviewItem,
    ReviewSource,
    ReviewState,
    ReviewVote,
    VoteChoice,
)

from . import sqlite_procedures as procedures
from .moderation import (
    ApplyOutcome,
    DecisionRecord,
    ReviewedDecision,
    ReviewFilter,
    StatsInputs,
    TrainingLabel,
    VoteOutcome,
)
from .sqlite_rows import (
    MESSAGE_COLUMNS,
    append_events,
    from_micros,
    load_message,
    message_from_row,
    now_micros,
    to_micros,
)

if TYPE_CHECKING:
    from .sqlite_engine import Interaction

T = TypeVar("T")

_ITEM_COLUMNS = (
    "i.ItemId, i.MessageId, i.Source, i.Priority, i.Category, i.Reason, i.FlagCount, "
    "i.VotesNeeded, i.State, i.ClaimedBy, i.LeaseUntil, i.Outcome, i.OutcomeCategory, "
    "i.CreatedAt, i.ResolvedAt, d.Verdict"
)
_ITEM_FROM = "ReviewItem AS i LEFT JOIN ModerationDecision AS d ON d.MessageId = i.MessageId"


def _optional_time(micros: int | None) -> datetime | None:
    return None if micros is None else from_micros(micros)


# --- the queue and decisions ---------------------------------------------------------------


def unmoderated_messages(conn: sqlite3.Connection, after_id: int, limit: int) -> list[Message]:
    rows = conn.execute(
        f"SELECT {MESSAGE_COLUMNS} FROM ChatMessage "
        "WHERE ModerationStatus = 0 AND MessageId > ? ORDER BY MessageId LIMIT ?",
        (after_id, limit),
    ).fetchall()
    return [message_from_row(row) for row in rows]


def _held_status(before: Message, status: ModerationStatus) -> PreModerationStatus:
    """Pre-moderation after an automatic decision: held messages are released or rejected
    by it, except those sent on to human review, which stay held until the vote."""
    if before.premoderation_status is not PreModerationStatus.PENDING:
        return before.premoderation_status
    if status is ModerationStatus.REMOVED:
        return PreModerationStatus.REJECTED
    if status in (ModerationStatus.APPROVED, ModerationStatus.FLAGGED):
        return PreModerationStatus.APPROVED
    return PreModerationStatus.PENDING


_ENQUEUE = (
    "INSERT INTO ReviewItem (MessageId, Source, Priority, Category, Reason, FlagCount, "
    "VotesNeeded, CreatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (MessageId) DO UPDATE SET "
    "Priority = max(Priority, excluded.Priority), "
    "FlagCount = max(FlagCount, excluded.FlagCount), "
    "Category = coalesce(Category, excluded.Category), "
    "Reason = CASE WHEN excluded.Source = 'flag' THEN excluded.Reason ELSE Reason END, "
    "Source = CASE WHEN excluded.Source = 'flag' OR Source = 'control' "
    "              THEN excluded.Source ELSE Source END"
)


def _enqueue(
    conn: sqlite3.Connection,
    *,
    message_id: int,
    source: ReviewSource,
    priority: int,
    category: str | None,
    reason: str,
    flag_count: int,
    votes_needed: int,
    now_us: int,
) -> None:
    """EnqueueReviewItem: one item per message; a later source can only raise priority."""
    conn.execute(
        _ENQUEUE,
        (message_id, source.value, priority, category, reason, flag_count, votes_needed, now_us),
    )


def _hot_messages(conn: sqlite3.Connection, ids: list[int]) -> dict[int, Message]:
    rows = conn.execute(
        f"SELECT {MESSAGE_COLUMNS} FROM ChatMessage "
        "WHERE MessageId IN (SELECT value FROM json_each(?))",
        (json.dumps(ids),),
    ).fetchall()
    return {message.id: message for message in map(message_from_row, rows)}


def apply_decisions(
    conn: sqlite3.Connection, decisions: list[DecisionRecord], votes_needed: int, now_us: int
) -> ApplyOutcome:
    """ApplyModerationDecision for a batch in a few statements per batch, not per message:
    the messages are read with one query, the decision rows and review items written with
    one ``executemany`` each and the events of the whole batch appended at once; per
    message there remains the status change itself, as SetMessageModerationStatus makes it.
    """
    hot = _hot_messages(conn, [record.message_id for record in decisions])
    applied: list[int] = []
    skipped: list[int] = []
    seen: set[int] = set()
    addressed: procedures.Addressed = []
    decided: list[tuple[object, ...]] = []
    queued: list[tuple[object, ...]] = []
    for record in decisions:
        if record.message_id in seen:  # named twice in one batch: the first one counts
            skipped.append(record.message_id)
            continue
        seen.add(record.message_id)
        before, table = hot.get(record.message_id), "ChatMessage"
        if before is None:  # archived while undecided, by a version that did that
            loaded = load_message(conn, record.message_id)
            if loaded is not None:
                before, table = loaded
        if before is None or before.moderation_status is not ModerationStatus.UNSPECIFIED:
            skipped.append(record.message_id)
            continue
        status = ModerationStatus(record.status)
        after = msgspec.structs.replace(
            before, moderation_status=status, premoderation_status=_held_status(before, status)
        )
        addressed += procedures._moderation_change_addressed(
            conn, before, after, table, record.reason
        )
        decided.append(
            (
                record.message_id,
                int(status),
                record.verdict,
                record.band,
                record.overall,
                record.category,
                record.rule,
                record.tier,
                record.reason,
                record.model_version,
                to_micros(before.sent_at),
                now_us,
            )
        )
        if record.review_source is not None:
            queued.append(
                (
                    record.message_id,
                    record.review_source.value,
                    record.review_priority,
                    record.category,
                    record.reason,
                    0,
                    votes_needed,
                    now_us,
                )
            )
        applied.append(record.message_id)
    conn.executemany(
        "INSERT INTO ModerationDecision (MessageId, Status, Verdict, Band, Overall, "
        "Category, RuleName, Tier, Reason, ModelVersion, CommittedAt, DecidedAt) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        decided,
    )
    conn.executemany(_ENQUEUE, queued)
    events = append_events(conn, addressed, now_us=now_us)
    return ApplyOutcome(applied=applied, skipped=skipped, events=events)


def flag_for_review(
    conn: sqlite3.Connection,
    *,
    user_id: int,
    message_id: int,
    reason: str,
    votes_needed: int,
    now_us: int,
) -> int:
    count = procedures.flag_message(
        conn, user_id=user_id, message_id=message_id, reason=reason, now_us=now_us
    )
    _enqueue(
        conn,
        message_id=message_id,
        source=ReviewSource.FLAG,
        priority=flag_priority(count),
        category=None,
        reason=reason,
        flag_count=count,
        votes_needed=votes_needed,
        now_us=now_us,
    )
    return count


# --- review --------------------------------------------------------------------------------


def _votes(conn: sqlite3.Connection, item_id: int) -> list[ReviewVote]:
    rows = conn.execute(
        "SELECT ModeratorId, Vote, Category, CreatedAt FROM ReviewVote "
        "WHERE ItemId = ? ORDER BY CreatedAt, ModeratorId",
        (item_id,),
    ).fetchall()
    return [
        ReviewVote(
            moderator_id=r[0], choice=VoteChoice(r[1]), category=r[2], cast_at=from_micros(r[3])
        )
        for r in rows
    ]


def _item_from_row(conn: sqlite3.Connection, row: Sequence[Any]) -> ReviewItem:
    loaded = load_message(conn, int(row[1]))
    if loaded is None:
        raise ParleyError(ErrorCode.NOT_FOUND, f"The message of review item {row[0]} is gone.")
    return ReviewItem(
        id=row[0],
        message=loaded[0],
        source=ReviewSource(row[2]),
        priority=row[3],
        category=row[4],
        reason=row[5],
        flag_count=row[6],
        votes_needed=row[7],
        votes=_votes(conn, int(row[0])),
        state=ReviewState(row[8]),
        claimed_by=row[9],
        lease_until=_optional_time(row[10]),
        outcome=None if row[11] is None else VoteChoice(row[11]),
        outcome_category=row[12],
        created_at=from_micros(row[13]),
        resolved_at=_optional_time(row[14]),
        model_verdict=row[15],
    )


def review_item(conn: sqlite3.Connection, item_id: int) -> ReviewItem | None:
    row = conn.execute(
        f"SELECT {_ITEM_COLUMNS} FROM {_ITEM_FROM} WHERE i.ItemId = ?", (item_id,)
    ).fetchone()
    return None if row is None else _item_from_row(conn, row)


def _filter_sql(query: ReviewFilter) -> tuple[str, list[object]]:
    clauses = ["i.State = ?", "i.Priority >= ?"]
    params: list[object] = [query.state.value, query.min_priority]
    if query.source is not None:
        clauses.append("i.Source = ?")
        params.append(query.source.value)
    if query.category is not None:
        clauses.append("i.Category = ?")
        params.append(query.category)
    return " AND ".join(clauses), params


def review_queue(conn: sqlite3.Connection, query: ReviewFilter) -> list[ReviewItem]:
    where, params = _filter_sql(query)
    rows = conn.execute(
        f"SELECT {_ITEM_COLUMNS} FROM {_ITEM_FROM} WHERE {where} "
        "ORDER BY i.Priority DESC, i.ItemId LIMIT ?",
        [*params, query.limit],
    ).fetchall()
    return [_item_from_row(conn, row) for row in rows]


def _audit(
    conn: sqlite3.Connection,
    *,
    actor_id: int | None,
    action: str,
    target_kind: str,
    target_id: int,
    detail: str,
    now_us: int,
) -> None:
    conn.execute(
        "INSERT INTO ModerationAudit (ActorId, Action, TargetKind, TargetId, Detail, CreatedAt) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (actor_id, action, target_kind, target_id, detail, now_us),
    )


def claim(
    conn: sqlite3.Connection,
    *,
    moderator_id: int,
    item_id: int | None,
    lease_until_us: int,
    now_us: int,
    query: ReviewFilter | None,
) -> ReviewItem:
    if item_id is None:
        where, params = _filter_sql(query or ReviewFilter())
        row = conn.execute(
            f"SELECT i.ItemId FROM ReviewItem AS i WHERE {where} "
            "AND (i.ClaimedBy IS NULL OR i.ClaimedBy = ? OR i.LeaseUntil <= ?) "
            "AND NOT EXISTS (SELECT 1 FROM ReviewVote AS v "
            "                WHERE v.ItemId = i.ItemId AND v.ModeratorId = ?) "
            "ORDER BY i.Priority DESC, i.ItemId LIMIT 1",
            [*params, moderator_id, now_us, moderator_id],
        ).fetchone()
        if row is None:
            raise ParleyError(ErrorCode.NOT_FOUND, "Nothing in the review queue to claim.")
        item_id = int(row[0])
    found = conn.execute(
        "SELECT State, ClaimedBy, LeaseUntil FROM ReviewItem WHERE ItemId = ?", (item_id,)
    ).fetchone()
    if found is None:
        raise ParleyError(ErrorCode.NOT_FOUND, f"No review item {item_id}.")
    state, holder, lease = found
    if state != ReviewState.OPEN.value:
        raise ParleyError(ErrorCode.CONFLICT, f"Review item {item_id} is already resolved.")
    if holder is not None and holder != moderator_id and lease is not None and lease > now_us:
        raise ParleyError(
            ErrorCode.CONFLICT, f"Review item {item_id} is claimed by another moderator."
        )
    voted = conn.execute(
        "SELECT 1 FROM ReviewVote WHERE ItemId = ? AND ModeratorId = ?", (item_id, moderator_id)
    ).fetchone()
    if voted is not None:
        raise ParleyError(ErrorCode.CONFLICT, f"You already voted on review item {item_id}.")
    conn.execute(
        "UPDATE ReviewItem SET ClaimedBy = ?, LeaseUntil = ? WHERE ItemId = ?",
        (moderator_id, lease_until_us, item_id),
    )
    _audit(
        conn,
        actor_id=moderator_id,
        action="claim",
        target_kind="review_item",
        target_id=item_id,
        detail="",
        now_us=now_us,
    )
    item = review_item(conn, item_id)
    assert item is not None
    return item


def vote(
    conn: sqlite3.Connection,
    *,
    moderator_id: int,
    item_id: int,
    choice: VoteChoice,
    category: str | None,
    now_us: int,
    hidden_categories: frozenset[str],
) -> VoteOutcome:
    found = conn.execute(
        "SELECT State, ClaimedBy, LeaseUntil, VotesNeeded, MessageId, Source "
        "FROM ReviewItem WHERE ItemId = ?",
        (item_id,),
    ).fetchone()
    if found is None:
        raise ParleyError(ErrorCode.NOT_FOUND, f"No review item {item_id}.")
    state, holder, lease, needed, message_id, source = found
    if state != ReviewState.OPEN.value:
        raise ParleyError(ErrorCode.CONFLICT, f"Review item {item_id} is already resolved.")
    if holder != moderator_id or lease is None or lease <= now_us:
        raise ParleyError(
            ErrorCode.CONFLICT, f"Claim review item {item_id} first (or again: the lease expired)."
        )
    conn.execute(
        "INSERT INTO ReviewVote (ItemId, ModeratorId, Vote, Category, CreatedAt) "
        "VALUES (?, ?, ?, ?, ?)",
        (item_id, moderator_id, choice.value, category, now_us),
    )
    conn.execute(
        "UPDATE ReviewItem SET ClaimedBy = NULL, LeaseUntil = NULL WHERE ItemId = ?", (item_id,)
    )
    _audit(
        conn,
        actor_id=moderator_id,
        action=f"vote:{choice.value}",
        target_kind="review_item",
        target_id=item_id,
        detail=category or "",
        now_us=now_us,
    )
    outcome = tally(_votes(conn, item_id), needed)
    events: list[UserEvent] = []
    if outcome is not None:
        conn.execute(
            "UPDATE ReviewItem SET State = 'resolved', Outcome = ?, OutcomeCategory = ?, "
            "ResolvedAt = ? WHERE ItemId = ?",
            (outcome.choice.value, outcome.category, now_us, item_id),
        )
        loaded = load_message(conn, message_id)
        if loaded is not None:
            before, table = loaded
            status, held = status_for(outcome, hidden_categories)
            if before.premoderation_status is PreModerationStatus.UNSPECIFIED:
                held = None
            after = msgspec.structs.replace(
                before,
                moderation_status=status,
                premoderation_status=before.premoderation_status if held is None else held,
            )
            if after != before:
                result = procedures._moderation_change(
                    conn, before, after, table, reason_for(outcome), now_us
                )
                events = result.events
            conn.execute(
                "INSERT INTO TrainingExample (MessageId, Text, Toxic, Category, Source, CreatedAt) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (MessageId) DO UPDATE SET "
                "Toxic = excluded.Toxic, Category = excluded.Category",
                (
                    message_id,
                    before.text,
                    int(outcome.choice is not VoteChoice.APPROVE),
                    outcome.category,
                    source,
                    now_us,
                ),
            )
        _audit(
            conn,
            actor_id=None,
            action=f"resolve:{outcome.choice.value}",
            target_kind="message",
            target_id=message_id,
            detail=outcome.category or "",
            now_us=now_us,
        )
    item = review_item(conn, item_id)
    assert item is not None
    return VoteOutcome(item=item, resolved=outcome is not None, events=events)


# --- audit, metrics, labels --------------------------------------------------------------


def audit_log(
    conn: sqlite3.Connection, actor_id: int | None, before_id: int | None, limit: int
) -> list[AuditEntry]:
    clauses, params = ["AuditId < ?"], [before_id if before_id is not None else 2**62]
    if actor_id is not None:
        clauses.append("ActorId = ?")
        params.append(actor_id)
    rows = conn.execute(
        "SELECT AuditId, ActorId, Action, TargetKind, TargetId, Detail, CreatedAt "
        f"FROM ModerationAudit WHERE {' AND '.join(clauses)} ORDER BY AuditId DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [
        AuditEntry(
            id=r[0],
            actor_id=r[1],
            action=r[2],
            target_kind=r[3],
            target_id=r[4],
            detail=r[5],
            created_at=from_micros(r[6]),
        )
        for r in rows
    ]


def stats_inputs(conn: sqlite3.Connection, latency_window: int) -> StatsInputs:
    reviewed = [
        ReviewedDecision(source=ReviewSource(r[0]), model_verdict=r[1], outcome=VoteChoice(r[2]))
        for r in conn.execute(
            "SELECT i.Source, d.Verdict, i.Outcome FROM ReviewItem AS i "
            "LEFT JOIN ModerationDecision AS d ON d.MessageId = i.MessageId "
            "WHERE i.State = 'resolved'"
        ).fetchall()
    ]
    latencies = [
        int(r[0])
        for r in conn.execute(
            "SELECT DecidedAt - CommittedAt FROM ModerationDecision "
            "ORDER BY DecidedAt DESC LIMIT ?",
            (latency_window,),
        ).fetchall()
    ]
    backlog = conn.execute("SELECT COUNT(*) FROM ChatMessage WHERE ModerationStatus = 0").fetchone()
    open_items = conn.execute("SELECT COUNT(*) FROM ReviewItem WHERE State = 'open'").fetchone()
    return StatsInputs(
        reviewed=reviewed,
        latencies_us=latencies,
        backlog=int(backlog[0]),
        review_open=int(open_items[0]),
    )


def training_labels(conn: sqlite3.Connection) -> list[TrainingLabel]:
    return [
        TrainingLabel(
            message_id=r[0],
            text=r[1],
            toxic=bool(r[2]),
            category=r[3],
            source=ReviewSource(r[4]),
            created_at=from_micros(r[5]),
        )
        for r in conn.execute(
            "SELECT MessageId, Text, Toxic, Category, Source, CreatedAt "
            "FROM TrainingExample ORDER BY MessageId"
        ).fetchall()
    ]


class SqliteModerationStore:
    """The :class:`~parley.server.store.moderation.ModerationStore` half of SqliteStore."""

    if TYPE_CHECKING:

        async def _write(self, name: str, fn: Interaction[T]) -> T: ...

        async def _read(self, name: str, fn: Interaction[T]) -> T: ...

    async def get_unmoderated_messages(self, *, after_id: int, limit: int) -> list[Message]:
        return await self._read(
            "GetUnmoderatedMessages", lambda conn: unmoderated_messages(conn, after_id, limit)
        )

    async def apply_moderation_decisions(
        self, decisions: list[DecisionRecord], *, votes_needed: int
    ) -> ApplyOutcome:
        now = now_micros()
        return await self._write(
            "ApplyModerationDecision",
            lambda conn: apply_decisions(conn, decisions, votes_needed, now),
        )

    async def flag_message_for_review(
        self, *, user_id: int, message_id: int, reason: str, votes_needed: int
    ) -> int:
        now = now_micros()
        return await self._write(
            "FlagMessage",
            lambda conn: flag_for_review(
                conn,
                user_id=user_id,
                message_id=message_id,
                reason=reason,
                votes_needed=votes_needed,
                now_us=now,
            ),
        )

    async def list_review_queue(self, query: ReviewFilter) -> list[ReviewItem]:
        return await self._read("ListReviewQueue", lambda conn: review_queue(conn, query))

    async def get_review_item(self, item_id: int) -> ReviewItem | None:
        return await self._read("GetReviewItem", lambda conn: review_item(conn, item_id))

    async def claim_review_item(
        self,
        *,
        moderator_id: int,
        item_id: int | None,
        lease_until: datetime,
        now: datetime,
        query: ReviewFilter | None = None,
    ) -> ReviewItem:
        until, at = to_micros(lease_until), to_micros(now)
        return await self._write(
            "ClaimReviewItem",
            lambda conn: claim(
                conn,
                moderator_id=moderator_id,
                item_id=item_id,
                lease_until_us=until,
                now_us=at,
                query=query,
            ),
        )

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
        at = to_micros(now)
        return await self._write(
            "CastReviewVote",
            lambda conn: vote(
                conn,
                moderator_id=moderator_id,
                item_id=item_id,
                choice=choice,
                category=category,
                now_us=at,
                hidden_categories=hidden_categories,
            ),
        )

    async def append_audit_log(
        self, *, actor_id: int | None, action: str, target_kind: str, target_id: int, detail: str
    ) -> None:
        now = now_micros()
        await self._write(
            "AppendAuditLog",
            lambda conn: _audit(
                conn,
                actor_id=actor_id,
                action=action,
                target_kind=target_kind,
                target_id=target_id,
                detail=detail,
                now_us=now,
            ),
        )

    async def list_audit_log(
        self, *, actor_id: int | None, before_id: int | None, limit: int
    ) -> list[AuditEntry]:
        return await self._read(
            "ListAuditLog", lambda conn: audit_log(conn, actor_id, before_id, limit)
        )

    async def get_moderation_stats_inputs(self, *, latency_window: int) -> StatsInputs:
        return await self._read(
            "GetModerationStats", lambda conn: stats_inputs(conn, latency_window)
        )

    async def list_training_labels(self) -> list[TrainingLabel]:
        return await self._read("ListTrainingLabels", training_labels)
