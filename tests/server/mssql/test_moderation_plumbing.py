"""The SQL Server moderation store's Python side, against the scripted connection.

What the procedures are sent (the decision batch as JSON whose fields the procedure's
OPENJSON reads, NULL literals for absent filters, the flag priorities of
``review_queue``) and how their result sets become review items, outcomes and metrics.
The contract suite (tests/server/store/test_store_moderation.py) runs the same
operations on a real SQL Server when one is configured.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pyodbc
import pytest

from parley.server.moderation.review_queue import FLAG_BASE_PRIORITY, FLAG_MAX_PRIORITY, FLAG_STEP
from parley.server.store.moderation import DecisionRecord, ModerationStore, ReviewFilter
from parley.server.store.mssql import MssqlStore
from parley.server.store.sqlite_rows import MESSAGE_COLUMNS
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.events import MessageModerationStatusChanged
from parley.shared.models import ModerationStatus
from parley.shared.moderation import ReviewSource, ReviewState, VoteChoice

PROCEDURES_DIR = Path(__file__).parents[3] / "sql" / "mssql" / "procedures"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NAIVE = NOW.replace(tzinfo=None)

STATUS_CHANGED = (
    '{"kind":"MessageModerationStatusChanged","message_id":42,"conversation_id":"3-7",'
    '"moderation_status":4,"premoderation_status":0,"reason":"Moderators removed your '
    'message for hate."}'
)


def message_columns(message_id: int = 42, status: int = 0) -> tuple[Any, ...]:
    return (message_id, "3-7", 7, 3, "hi", NAIVE, "c-1", 0, None, False, True, 0, status)


def item_row(
    item_id: int = 5, *, state: str = "open", claimed_by: int | None = None
) -> tuple[Any, ...]:
    lease = NAIVE + timedelta(minutes=5) if claimed_by is not None else None
    outcome = "remove" if state == "resolved" else None
    resolved_at = NAIVE if state == "resolved" else None
    item = (item_id, 42, "flag", 20, "hate", "rude", 2, 3, state, claimed_by, lease, outcome)
    item += ("hate" if outcome else None, NAIVE, resolved_at, "review")
    return item + message_columns(status=4 if outcome else 5)


def vote_row(moderator: int, vote: str = "remove") -> tuple[Any, ...]:
    return (5, moderator, vote, "hate", NAIVE)


def record(message_id: int, **changes: Any) -> DecisionRecord:
    base = DecisionRecord(
        message_id=message_id,
        status=ModerationStatus.IN_REVIEW,
        verdict="review",
        band="review",
        overall=0.75,
        category="hate",
        rule="hate.words",
        tier=1,
        reason="hate",
        model_version="m1",
        review_source=ReviewSource.MODEL,
        review_priority=20,
    )
    return msgspec.structs.replace(base, **changes)


def test_the_sql_server_store_is_a_moderation_store() -> None:
    assert isinstance(MssqlStore("mssql://u:p@h/db"), ModerationStore)


def test_the_decision_batch_carries_exactly_the_fields_the_procedure_reads() -> None:
    sql = (PROCEDURES_DIR / "ApplyModerationDecisions.sql").read_text(encoding="utf-8")
    read = set(re.findall(r"'\$\.(\w+)'", sql))
    sent = set(json.loads(msgspec.json.encode([record(1)]))[0])
    assert read == sent


def test_review_item_rows_return_the_item_then_the_message_columns() -> None:
    sql = (PROCEDURES_DIR / "ReviewItemRows.sql").read_text(encoding="utf-8")
    select = re.search(r"SELECT\s+(i\.ItemId.*?)\s+FROM", sql, re.S)
    assert select is not None
    columns = [c.strip() for c in select.group(1).split(",")]
    assert len(columns) == len(item_row())
    # the same columns, in the same order, as every message read (sqlite_rows too)
    assert columns[16:] == [f"m.{name.strip()}" for name in MESSAGE_COLUMNS.split(",")]


async def test_decisions_go_as_one_json_batch_and_come_back_applied_or_skipped(harness) -> None:
    store, h = harness
    h.script["ApplyModerationDecisions"] = [[[(7, 1, STATUS_CHANGED)], [(42, True), (43, False)]]]
    outcome = await store.apply_moderation_decisions(
        [record(42), record(43, review_source=None, category=None)], votes_needed=3
    )
    name, _, params = h.calls[0]
    assert name == "ApplyModerationDecisions"
    batch = json.loads(params[0])
    assert [d["message_id"] for d in batch] == [42, 43]
    assert batch[0]["review_source"] == "model"
    assert batch[1]["review_source"] is None
    assert params[1] == 3
    assert (outcome.applied, outcome.skipped) == ([42], [43])
    [event] = outcome.events
    assert isinstance(event.event, MessageModerationStatusChanged)
    assert (event.user_id, event.seq) == (7, 1)


async def test_an_empty_batch_makes_no_call(harness) -> None:
    store, h = harness
    outcome = await store.apply_moderation_decisions([], votes_needed=3)
    assert (outcome.applied, outcome.skipped, outcome.events) == ([], [], [])
    assert h.calls == []


async def test_a_flag_passes_the_review_queue_priorities_and_returns_the_count(harness) -> None:
    store, h = harness
    h.script["FlagMessageForReview"] = [[[(2,)]]]
    count = await store.flag_message_for_review(
        user_id=3, message_id=42, reason="rude", votes_needed=3
    )
    assert count == 2
    params = h.calls[0][2]
    assert params[:7] == (3, 42, "rude", 3, FLAG_BASE_PRIORITY, FLAG_STEP, FLAG_MAX_PRIORITY)


async def test_the_queue_binds_absent_filters_as_null_and_builds_items(harness) -> None:
    store, h = harness
    h.script["ListReviewQueue"] = [[[item_row(5), item_row(6)], [vote_row(11), vote_row(12)]]]
    items = await store.list_review_queue(ReviewFilter(min_priority=10, limit=20))
    _, sql, params = h.calls[0]
    assert "@Source = NULL" in sql
    assert "@Category = NULL" in sql
    assert params == ("open", 10, 20)
    assert [i.id for i in items] == [5, 6]
    first = items[0]
    assert (first.source, first.priority, first.flag_count, first.model_verdict) == (
        ReviewSource.FLAG,
        20,
        2,
        "review",
    )
    assert first.message.moderation_status is ModerationStatus.IN_REVIEW
    assert first.created_at == NOW
    assert [v.moderator_id for v in first.votes] == [11, 12]
    assert items[1].votes == []
    assert await store.list_review_queue(ReviewFilter(limit=0)) == []
    assert len(h.calls) == 1


async def test_a_missing_review_item_is_none(harness) -> None:
    store, h = harness
    h.script["GetReviewItem"] = [[[], []]]
    assert await store.get_review_item(99) is None


async def test_claiming_the_next_item_sends_null_and_the_filter(harness) -> None:
    store, h = harness
    h.script["ClaimReviewItem"] = [[[item_row(5, claimed_by=11)], []]]
    item = await store.claim_review_item(
        moderator_id=11, item_id=None, lease_until=NOW + timedelta(minutes=5), now=NOW
    )
    _, sql, params = h.calls[0]
    assert "@ItemId = NULL" in sql
    assert params[:3] == (11, "2026-11-25T12:05:00.000000", "2026-11-25T12:00:00.000000")
    assert params[3:] == ("open", 0)
    assert (item.claimed_by, item.lease_until) == (11, NOW + timedelta(minutes=5))


async def test_a_refused_claim_is_a_conflict_with_the_servers_sentence(harness) -> None:
    store, h = harness
    refusal = pyodbc.ProgrammingError(
        "42000", "[SQL Server]Review item 5 is claimed by another moderator. (51006)"
    )
    h.script["ClaimReviewItem"] = [refusal]
    with pytest.raises(ParleyError) as refused:
        await store.claim_review_item(
            moderator_id=12, item_id=5, lease_until=NOW + timedelta(minutes=5), now=NOW
        )
    assert refused.value.code is ErrorCode.CONFLICT
    assert refused.value.message == "Review item 5 is claimed by another moderator."
    assert len(h.calls) == 1  # a refusal is not retried


async def test_a_deciding_vote_returns_the_resolved_item_and_its_events(harness) -> None:
    store, h = harness
    h.script["CastReviewVote"] = [
        [
            [(7, 4, STATUS_CHANGED)],
            [(True,)],
            [item_row(5, state="resolved")],
            [vote_row(11), vote_row(12, "approve"), vote_row(13)],
        ]
    ]
    outcome = await store.cast_review_vote(
        moderator_id=13,
        item_id=5,
        choice=VoteChoice.REMOVE,
        category=None,
        now=NOW,
        hidden_categories=frozenset({"sexual", "hate"}),
    )
    _, sql, params = h.calls[0]
    assert "@Category = NULL" in sql
    assert params[:3] == (13, 5, "remove")
    assert json.loads(params[-1]) == ["hate", "sexual"]
    assert outcome.resolved
    assert outcome.item.state is ReviewState.RESOLVED
    assert (outcome.item.outcome, outcome.item.outcome_category) == (VoteChoice.REMOVE, "hate")
    assert [v.choice for v in outcome.item.votes] == [
        VoteChoice.REMOVE,
        VoteChoice.APPROVE,
        VoteChoice.REMOVE,
    ]
    assert [e.user_id for e in outcome.events] == [7]


async def test_the_audit_log_reads_newest_first_with_null_actors(harness) -> None:
    store, h = harness
    h.script["ListAuditLog"] = [
        [
            [
                (9, None, "resolve:remove", "message", 42, "hate", NAIVE),
                (8, 11, "claim", "review_item", 5, "", NAIVE),
            ]
        ]
    ]
    entries = await store.list_audit_log(actor_id=None, before_id=10, limit=2)
    _, sql, params = h.calls[0]
    assert "@ActorId = NULL" in sql
    assert params == (10, 2)
    assert [(e.id, e.actor_id, e.action) for e in entries] == [
        (9, None, "resolve:remove"),
        (8, 11, "claim"),
    ]


async def test_stats_inputs_come_from_four_result_sets(harness) -> None:
    store, h = harness
    h.script["GetModerationStats"] = [
        [
            [("model", "review", "remove"), ("control", None, "approve")],
            [(1500,), (900,)],
            [(17,)],
            [(2,)],
        ]
    ]
    stats = await store.get_moderation_stats_inputs(latency_window=100)
    assert [(r.source, r.model_verdict, r.outcome) for r in stats.reviewed] == [
        (ReviewSource.MODEL, "review", VoteChoice.REMOVE),
        (ReviewSource.CONTROL, None, VoteChoice.APPROVE),
    ]
    assert (stats.latencies_us, stats.backlog, stats.review_open) == ([1500, 900], 17, 2)


async def test_training_labels_and_unmoderated_messages_are_read_back(harness) -> None:
    store, h = harness
    h.script["ListTrainingLabels"] = [[[(42, "hi", True, "hate", "flag", NAIVE)]]]
    h.script["GetUnmoderatedMessages"] = [[[message_columns(42), message_columns(43)]]]
    [label] = await store.list_training_labels()
    assert (label.message_id, label.toxic, label.source, label.created_at) == (
        42,
        True,
        ReviewSource.FLAG,
        NOW,
    )
    messages = await store.get_unmoderated_messages(after_id=41, limit=2)
    assert [m.id for m in messages] == [42, 43]
    assert h.calls[-1][2] == (41, 2)
    assert await store.get_unmoderated_messages(after_id=0, limit=0) == []
    assert len(h.calls) == 2
