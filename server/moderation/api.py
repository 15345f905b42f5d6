"""Moderator request handlers (docs/protocol.md, "Moderator API"), and the user's flag.

Thin adapters like those of ``parley.server.handlers``: the dispatcher has already refused
plain users with FORBIDDEN (these frame types are in its MODERATOR_TYPES), the store does
each operation in one transaction with its audit entry, and events are published only
from what the store committed. The admin window is to be built on these frames.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from parley.server.moderation.categories import CATEGORIES
from parley.server.moderation.settings import ModerationSettings
from parley.server.moderation.stats import LATENCY_WINDOW, compute
from parley.server.store.moderation import ModerationStore, ReviewFilter
from parley.shared import protocol as p
from parley.shared.errors import ErrorCode, ParleyError

if TYPE_CHECKING:
    from parley.server.connection import Connection
    from parley.server.handlers import Services

MAX_PAGE = 200
MAX_REASON_LENGTH = 500


def moderation_store(services: Services) -> ModerationStore:
    store = services.store
    if not isinstance(store, ModerationStore):
        raise ParleyError(
            ErrorCode.UNAVAILABLE, "This server's database does not run the moderation pipeline."
        )
    return store


def _me(conn: Connection) -> int:
    assert conn.user is not None  # the dispatcher checked it
    return conn.user.id


def _check_category(category: str | None) -> None:
    if category is not None and category not in CATEGORIES:
        raise ParleyError(
            ErrorCode.INVALID_FIELD,
            f"Unknown category {category!r}; use one of: {', '.join(CATEGORIES)}.",
        )


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise ParleyError(ErrorCode.INVALID_FIELD, f"'limit' is between 1 and {MAX_PAGE}.")


def _hidden_categories() -> frozenset[str]:
    return ModerationSettings().hidden_categories


async def review_queue_list(services: Services, conn: Connection, frame: p.ReviewQueueList) -> None:
    _check_category(frame.category)
    _check_limit(frame.limit)
    items = await moderation_store(services).list_review_queue(
        ReviewFilter(
            state=frame.state,
            source=frame.source,
            category=frame.category,
            min_priority=frame.min_priority,
            limit=frame.limit,
        )
    )
    conn.outbox.send(p.ReviewQueue(id=frame.id, items=items))


async def claim_review_item(services: Services, conn: Connection, frame: p.ClaimReviewItem) -> None:
    _check_category(frame.category)
    now = datetime.now(UTC)
    item = await moderation_store(services).claim_review_item(
        moderator_id=_me(conn),
        item_id=frame.item_id,
        lease_until=now + timedelta(seconds=services.settings.moderation_lease_s),
        now=now,
        query=ReviewFilter(source=frame.source, category=frame.category),
    )
    conn.outbox.send(p.ReviewItemFrame(id=frame.id, item=item))


async def review_vote(services: Services, conn: Connection, frame: p.CastReviewVote) -> None:
    _check_category(frame.category)
    outcome = await moderation_store(services).cast_review_vote(
        moderator_id=_me(conn),
        item_id=frame.item_id,
        choice=frame.choice,
        category=frame.category,
        now=datetime.now(UTC),
        hidden_categories=_hidden_categories(),
    )
    conn.outbox.send(p.ReviewItemFrame(id=frame.id, item=outcome.item))
    services.events.publish(outcome.events)


async def audit_log_list(services: Services, conn: Connection, frame: p.AuditLogList) -> None:
    _check_limit(frame.limit)
    entries = await moderation_store(services).list_audit_log(
        actor_id=frame.actor_id, before_id=frame.before, limit=frame.limit
    )
    conn.outbox.send(p.AuditLog(id=frame.id, entries=entries))


async def get_moderation_stats(
    services: Services, conn: Connection, frame: p.GetModerationStats
) -> None:
    inputs = await moderation_store(services).get_moderation_stats_inputs(
        latency_window=LATENCY_WINDOW
    )
    conn.outbox.send(p.ModerationStatsFrame(id=frame.id, stats=compute(inputs)))


async def flag_message(services: Services, conn: Connection, frame: p.FlagMessage) -> None:
    """Any user may flag a message they received; it enters the review queue."""
    if not frame.reason.strip() or len(frame.reason) > MAX_REASON_LENGTH:
        raise ParleyError(
            ErrorCode.INVALID_FIELD, f"'reason' has 1 to {MAX_REASON_LENGTH} characters."
        )
    store = services.store
    if isinstance(store, ModerationStore):
        await store.flag_message_for_review(
            user_id=_me(conn),
            message_id=frame.message_id,
            reason=frame.reason,
            votes_needed=services.settings.moderation_votes_needed,
        )
    else:
        await services.store.flag_message(
            user_id=_me(conn), message_id=frame.message_id, reason=frame.reason
        )
    conn.outbox.send(p.Ok(id=frame.id))


async def set_sending_blocked(
    services: Services, conn: Connection, frame: p.SetSendingBlocked
) -> None:
    """The core handler, then its audit entry (after the change committed)."""
    from parley.server import handlers

    await handlers.set_sending_blocked(services, conn, frame)
    await _audit(
        services,
        conn,
        "block_sending" if frame.blocked else "unblock_sending",
        "user",
        frame.user_id,
        frame.reason,
    )


async def set_premoderation(
    services: Services, conn: Connection, frame: p.SetPreModeration
) -> None:
    from parley.server import handlers

    await handlers.set_premoderation(services, conn, frame)
    action = "release_premoderation" if frame.approved else "reject_premoderation"
    await _audit(services, conn, action, "message", frame.message_id, frame.reason)


async def _audit(
    services: Services, conn: Connection, action: str, kind: str, target: int, detail: str
) -> None:
    store = services.store
    if isinstance(store, ModerationStore):
        await store.append_audit_log(
            actor_id=_me(conn), action=action, target_kind=kind, target_id=target, detail=detail
        )
