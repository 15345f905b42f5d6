"""The review queue on a real SQLite store: flags, priorities, leases, votes, the audit log.

Leases are checked with explicit times (the store takes ``now``): no sleeping.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from parley.server.moderation.review_queue import FLAG_BASE_PRIORITY, FLAG_STEP, flag_priority
from parley.server.moderation.worker import ModerationWorker
from parley.server.store.moderation import ReviewFilter
from parley.server.store.sqlite import SqliteStore
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.events import MessageModerationStatusChanged
from parley.shared.models import ModerationStatus, PreModerationStatus, Role, User
from parley.shared.moderation import ReviewSource, ReviewState, VoteChoice

from .pipeline import CLEAN, HATEFUL, make_user, rules_moderator, send

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
HIDDEN = frozenset({"hate"})


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "parley.db")
    await opened.open()
    yield opened
    await opened.close()


async def moderators(store: SqliteStore, n: int) -> list[User]:
    return [await make_user(store, f"mod{i}", Role.MODERATOR) for i in range(n)]


async def vote(
    store: SqliteStore,
    mod: User,
    item_id: int,
    choice: VoteChoice,
    at: datetime,
    category: str | None = None,
):  # type: ignore[no-untyped-def]
    await store.claim_review_item(
        moderator_id=mod.id, item_id=item_id, lease_until=at + LEASE, now=at
    )
    return await store.cast_review_vote(
        moderator_id=mod.id,
        item_id=item_id,
        choice=choice,
        category=category,
        now=at,
        hidden_categories=HIDDEN,
    )


def test_each_further_flag_raises_the_priority_up_to_a_cap() -> None:
    assert flag_priority(1) == FLAG_BASE_PRIORITY
    assert flag_priority(3) == FLAG_BASE_PRIORITY + 2 * FLAG_STEP
    assert flag_priority(1000) == flag_priority(100)


async def test_user_flags_enter_the_queue_and_repeated_flags_raise_priority(
    store: SqliteStore,
) -> None:
    alice, bob, carol = [await make_user(store, n) for n in ("alice", "bob", "carol")]
    quiet = await send(store, alice, carol, "something odd")
    loud = await send(store, alice, bob, "something worse")
    await send(store, carol, bob, "hello bob")
    await store.flag_message_for_review(
        user_id=carol.id, message_id=quiet, reason="odd", votes_needed=3
    )
    assert (
        await store.flag_message_for_review(
            user_id=bob.id, message_id=loud, reason="rude", votes_needed=3
        )
        == 1
    )
    queue = await store.list_review_queue(ReviewFilter())
    assert [i.message.id for i in queue] == [quiet, loud]  # same priority: oldest first
    # the same user flagging again does not count twice
    await store.flag_message_for_review(
        user_id=bob.id, message_id=loud, reason="rude", votes_needed=3
    )
    queue = await store.list_review_queue(ReviewFilter(source=ReviewSource.FLAG))
    assert [(i.message.id, i.flag_count, i.priority) for i in queue] == [
        (quiet, 1, flag_priority(1)),
        (loud, 1, flag_priority(1)),
    ]
    # a second participant (the sender may flag her own message too) raises it
    await store.flag_message_for_review(
        user_id=alice.id, message_id=loud, reason="regret", votes_needed=3
    )
    queue = await store.list_review_queue(ReviewFilter())
    assert [(i.message.id, i.flag_count, i.priority) for i in queue] == [
        (loud, 2, flag_priority(2)),
        (quiet, 1, flag_priority(1)),
    ]
    assert queue[0].reason == "regret"


async def test_a_stranger_cannot_flag_a_message_they_cannot_see(store: SqliteStore) -> None:
    alice, bob, eve = [await make_user(store, n) for n in ("alice", "bob", "eve")]
    sent = await send(store, alice, bob, CLEAN)
    with pytest.raises(ParleyError) as caught:
        await store.flag_message_for_review(
            user_id=eve.id, message_id=sent, reason="x", votes_needed=3
        )
    assert caught.value.code is ErrorCode.NOT_FOUND
    assert await store.list_review_queue(ReviewFilter()) == []


async def test_a_lease_keeps_others_out_until_it_expires(store: SqliteStore) -> None:
    alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
    one, two = await moderators(store, 2)
    sent = await send(store, alice, bob, "x")
    await store.flag_message_for_review(user_id=bob.id, message_id=sent, reason="x", votes_needed=2)
    item = await store.claim_review_item(
        moderator_id=one.id, item_id=None, lease_until=T0 + LEASE, now=T0
    )
    assert (item.claimed_by, item.lease_until) == (one.id, T0 + LEASE)

    with pytest.raises(ParleyError) as caught:
        await store.claim_review_item(
            moderator_id=two.id, item_id=item.id, lease_until=T0 + 2 * LEASE, now=T0 + LEASE / 2
        )
    assert caught.value.code is ErrorCode.CONFLICT
    with pytest.raises(ParleyError) as caught:  # nothing else to claim
        await store.claim_review_item(
            moderator_id=two.id, item_id=None, lease_until=T0 + 2 * LEASE, now=T0 + LEASE / 2
        )
    assert caught.value.code is ErrorCode.NOT_FOUND

    later = T0 + LEASE + timedelta(seconds=1)
    with pytest.raises(ParleyError) as caught:  # the expired lease no longer lets one vote
        await store.cast_review_vote(
            moderator_id=one.id,
            item_id=item.id,
            choice=VoteChoice.APPROVE,
            category=None,
            now=later,
            hidden_categories=HIDDEN,
        )
    assert caught.value.code is ErrorCode.CONFLICT
    taken = await store.claim_review_item(
        moderator_id=two.id, item_id=None, lease_until=later + LEASE, now=later
    )
    assert (taken.id, taken.claimed_by) == (item.id, two.id)


async def test_a_majority_of_votes_resolves_the_item_and_tells_the_sender(
    store: SqliteStore, tmp_path: Path
) -> None:
    alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
    mods = await moderators(store, 4)
    sent = await send(store, alice, bob, HATEFUL, premoderate=True)
    await ModerationWorker(store, rules_moderator(tmp_path)).drain()
    [item] = await store.list_review_queue(ReviewFilter())
    assert item.message.moderation_status is ModerationStatus.IN_REVIEW

    first = await vote(store, mods[0], item.id, VoteChoice.REMOVE, T0, "hate")
    second = await vote(store, mods[1], item.id, VoteChoice.APPROVE, T0)
    assert not first.resolved
    assert not second.resolved
    with pytest.raises(ParleyError) as caught:  # one vote per moderator
        await store.claim_review_item(
            moderator_id=mods[0].id, item_id=item.id, lease_until=T0 + LEASE, now=T0
        )
    assert caught.value.code is ErrorCode.CONFLICT
    third = await vote(store, mods[2], item.id, VoteChoice.REMOVE, T0, "hate")
    assert third.resolved
    assert (third.item.state, third.item.outcome, third.item.outcome_category) == (
        ReviewState.RESOLVED,
        VoteChoice.REMOVE,
        "hate",
    )
    message = await store.get_message(sent)
    assert message is not None
    assert message.moderation_status is ModerationStatus.REMOVED
    assert message.premoderation_status is PreModerationStatus.REJECTED
    told = [e for e in third.events if isinstance(e.event, MessageModerationStatusChanged)]
    assert [(e.user_id, e.event.reason) for e in told] == [
        (alice.id, "Moderators removed your message for hate.")
    ]
    with pytest.raises(ParleyError) as caught:
        await vote(store, mods[3], item.id, VoteChoice.APPROVE, T0)
    assert caught.value.code is ErrorCode.CONFLICT

    labels = await store.list_training_labels()
    assert [(x.message_id, x.toxic, x.category, x.text) for x in labels] == [
        (sent, True, "hate", HATEFUL)
    ]
    audit = await store.list_audit_log(actor_id=None, before_id=None, limit=50)
    actions = [(a.actor_id, a.action) for a in reversed(audit)]
    assert (mods[0].id, "claim") in actions
    assert (mods[0].id, "vote:remove") in actions
    assert actions[-1] == (None, "resolve:remove")


async def test_a_tie_waits_for_another_vote(store: SqliteStore) -> None:
    alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
    mods = await moderators(store, 3)
    sent = await send(store, alice, bob, "borderline")
    await store.flag_message_for_review(user_id=bob.id, message_id=sent, reason="x", votes_needed=2)
    [item] = await store.list_review_queue(ReviewFilter())
    await vote(store, mods[0], item.id, VoteChoice.APPROVE, T0)
    tied = await vote(store, mods[1], item.id, VoteChoice.RESTRICT, T0, "harassment")
    assert not tied.resolved
    assert len(tied.item.votes) == 2
    decided = await vote(store, mods[2], item.id, VoteChoice.APPROVE, T0)
    assert decided.resolved
    assert decided.item.outcome is VoteChoice.APPROVE
    message = await store.get_message(sent)
    assert message is not None
    assert message.moderation_status is ModerationStatus.APPROVED
    [label] = await store.list_training_labels()
    assert (label.toxic, label.source) == (False, ReviewSource.FLAG)


async def test_the_queue_filters_by_state_source_category_and_priority(
    store: SqliteStore, tmp_path: Path
) -> None:
    alice, bob = await make_user(store, "alice"), await make_user(store, "bob")
    hateful = await send(store, alice, bob, HATEFUL)
    flagged = await send(store, alice, bob, "meh")
    await ModerationWorker(store, rules_moderator(tmp_path)).drain()
    await store.flag_message_for_review(
        user_id=bob.id, message_id=flagged, reason="x", votes_needed=1
    )
    assert [i.message.id for i in await store.list_review_queue(ReviewFilter(category="hate"))] == [
        hateful
    ]
    assert [
        i.message.id for i in await store.list_review_queue(ReviewFilter(source=ReviewSource.FLAG))
    ] == [flagged]
    assert [i.message.id for i in await store.list_review_queue(ReviewFilter(min_priority=18))] == [
        hateful
    ]
    mod = (await moderators(store, 1))[0]
    await vote(
        store,
        mod,
        (await store.list_review_queue(ReviewFilter(source=ReviewSource.FLAG)))[0].id,
        VoteChoice.APPROVE,
        T0,
    )
    resolved = await store.list_review_queue(ReviewFilter(state=ReviewState.RESOLVED))
    assert [i.message.id for i in resolved] == [flagged]
