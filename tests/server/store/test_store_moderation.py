"""The ModerationStore contract, on every backend: SQLite always, SQL Server when
PARLEY_TEST_MSSQL_DSN names one (the ``store`` fixture of this folder's conftest).

The durable queue, idempotent decisions (a worker that crashed and decides the same
messages again writes nothing twice), held first messages, user flags, leases, majority
votes, the audit log and the metrics' inputs. Leases are checked with explicit times
(the store takes ``now``): nothing sleeps. Decisions are built here rather than by the
pipeline, so what is held to account is the store alone.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from parley.server.moderation.review_queue import flag_priority
from parley.server.store.interface import Store
from parley.server.store.moderation import DecisionRecord, ModerationStore, ReviewFilter
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.events import MessageModerationStatusChanged, MessageReceived, UserEvent
from parley.shared.models import ModerationStatus, PreModerationStatus, Role, User
from parley.shared.moderation import ReviewSource, ReviewState, VoteChoice

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
HIDDEN = frozenset({"hate"})

VERDICTS = {
    ModerationStatus.APPROVED: "approve",
    ModerationStatus.FLAGGED: "flag",
    ModerationStatus.HIDDEN: "flag",
    ModerationStatus.IN_REVIEW: "review",
    ModerationStatus.REMOVED: "remove",
}


@pytest.fixture
def moderation(store: Store) -> ModerationStore:
    assert isinstance(store, ModerationStore)
    return store


def decision(
    message_id: int,
    status: ModerationStatus,
    *,
    category: str | None = None,
    review: ReviewSource | None = None,
    priority: int = 0,
    reason: str = "",
) -> DecisionRecord:
    return DecisionRecord(
        message_id=message_id,
        status=status,
        verdict=VERDICTS[status],
        band=VERDICTS[status],
        overall=0.9 if status is not ModerationStatus.APPROVED else 0.01,
        category=category,
        rule=f"{category}.words" if category else None,
        tier=1,
        reason=reason,
        model_version="test-1",
        review_source=review,
        review_priority=priority,
    )


def status_changes(events: list[UserEvent], message_id: int) -> dict[int, str]:
    """Who heard that the message's status changed, and the reason they were given."""
    return {
        e.user_id: e.event.reason
        for e in events
        if isinstance(e.event, MessageModerationStatusChanged) and e.event.message_id == message_id
    }


async def sent_id(send, sender: User, receiver: User, text: str = "hello", **kw) -> int:  # type: ignore[no-untyped-def]
    return int((await send(sender, receiver, text, **kw)).result.message.id)


async def moderators(make_user, n: int) -> list[User]:  # type: ignore[no-untyped-def]
    return [await make_user(f"mod{i}", role=Role.MODERATOR) for i in range(n)]


async def vote(
    store: ModerationStore,
    mod: User,
    item_id: int,
    choice: VoteChoice,
    category: str | None = None,
    at: datetime = T0,
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


async def in_review(
    moderation: ModerationStore, message_id: int, category: str = "hate", priority: int = 20
) -> int:
    """Send a message to review as the pipeline would; the review item's id."""
    await moderation.apply_moderation_decisions(
        [
            decision(
                message_id,
                ModerationStatus.IN_REVIEW,
                category=category,
                review=ReviewSource.MODEL,
                priority=priority,
            )
        ],
        votes_needed=3,
    )
    [item] = [
        i for i in await moderation.list_review_queue(ReviewFilter()) if i.message.id == message_id
    ]
    return item.id


async def test_the_queue_is_the_undecided_messages_in_id_order(
    moderation: ModerationStore, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    ids = [await sent_id(send, alice, bob, f"m{i}") for i in range(3)]

    assert [m.id for m in await moderation.get_unmoderated_messages(after_id=0, limit=2)] == ids[:2]
    after = await moderation.get_unmoderated_messages(after_id=ids[1], limit=10)
    assert [(m.id, m.text) for m in after] == [(ids[2], "m2")]

    await moderation.apply_moderation_decisions(
        [decision(ids[0], ModerationStatus.APPROVED)], votes_needed=3
    )
    remaining = await moderation.get_unmoderated_messages(after_id=0, limit=10)
    assert [m.id for m in remaining] == ids[1:]
    assert await moderation.get_unmoderated_messages(after_id=0, limit=0) == []


async def test_a_decision_sets_the_status_and_tells_both_participants(
    moderation: ModerationStore, store: Store, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    flagged = await sent_id(send, alice, bob, "what the heck")

    outcome = await moderation.apply_moderation_decisions(
        [decision(flagged, ModerationStatus.FLAGGED, category="profanity", reason="profanity")],
        votes_needed=3,
    )

    assert (outcome.applied, outcome.skipped) == ([flagged], [])
    assert status_changes(outcome.events, flagged) == {alice.id: "profanity", bob.id: "profanity"}
    message = await store.get_message(flagged)
    assert message is not None
    assert message.moderation_status is ModerationStatus.FLAGGED
    stats = await moderation.get_moderation_stats_inputs(latency_window=10)
    assert (len(stats.latencies_us), stats.backlog, stats.review_open) == (1, 0, 0)
    assert await moderation.list_review_queue(ReviewFilter()) == []  # no review asked


async def test_deciding_the_same_messages_again_writes_nothing(
    moderation: ModerationStore, make_user, send
) -> None:
    """What a worker that crashed after committing and decides the batch again sees."""
    alice, bob = await make_user("alice"), await make_user("bob")
    clean = await sent_id(send, alice, bob, "lunch?")
    doubtful = await sent_id(send, alice, bob, "doubtful")
    batch = [
        decision(clean, ModerationStatus.APPROVED),
        decision(doubtful, ModerationStatus.IN_REVIEW, review=ReviewSource.MODEL, priority=10),
    ]
    first = await moderation.apply_moderation_decisions(batch, votes_needed=3)
    assert first.applied == [clean, doubtful]

    again = await moderation.apply_moderation_decisions(batch, votes_needed=3)
    assert (again.applied, again.skipped, again.events) == ([], [clean, doubtful], [])

    third = await sent_id(send, alice, bob, "third")
    twice = await moderation.apply_moderation_decisions(
        [
            decision(third, ModerationStatus.REMOVED),
            decision(third, ModerationStatus.APPROVED),
            decision(10**12, ModerationStatus.APPROVED),  # no such message
        ],
        votes_needed=3,
    )
    assert (twice.applied, twice.skipped) == ([third], [third, 10**12])
    assert [i.message.id for i in await moderation.list_review_queue(ReviewFilter())] == [doubtful]
    stats = await moderation.get_moderation_stats_inputs(latency_window=10)
    assert len(stats.latencies_us) == 3  # one decision per message, never two


async def test_held_first_messages_are_released_rejected_or_kept_for_review(
    moderation: ModerationStore, store: Store, make_user, send
) -> None:
    bob = await make_user("bob")
    senders = [await make_user(name) for name in ("ann", "ben", "cat")]
    held = [await sent_id(send, s, bob, "first!", premoderate_first=True) for s in senders]
    for message_id in held:
        message = await store.get_message(message_id)
        assert message is not None
        assert message.premoderation_status is PreModerationStatus.PENDING

    outcome = await moderation.apply_moderation_decisions(
        [
            decision(held[0], ModerationStatus.APPROVED),
            decision(held[1], ModerationStatus.REMOVED, category="threat", reason="threat"),
            decision(
                held[2],
                ModerationStatus.IN_REVIEW,
                category="hate",
                review=ReviewSource.MODEL,
                priority=20,
            ),
        ],
        votes_needed=3,
    )

    after = [await store.get_message(i) for i in held]
    assert [(m.premoderation_status, m.moderation_status) for m in after if m] == [
        (PreModerationStatus.APPROVED, ModerationStatus.APPROVED),
        (PreModerationStatus.REJECTED, ModerationStatus.REMOVED),
        (PreModerationStatus.PENDING, ModerationStatus.IN_REVIEW),
    ]
    received = [
        e.event.message.id
        for e in outcome.events
        if e.user_id == bob.id and isinstance(e.event, MessageReceived)
    ]
    assert received == [held[0]]  # revealed to the receiver: only the released one
    assert bob.id not in status_changes(outcome.events, held[1])  # never saw it, never will
    assert bob.id not in status_changes(outcome.events, held[2])
    assert status_changes(outcome.events, held[1]) == {senders[1].id: "threat"}


async def test_flags_queue_the_message_and_each_new_flagger_raises_its_priority(
    moderation: ModerationStore, make_user, send
) -> None:
    alice, bob, carol = [await make_user(n) for n in ("alice", "bob", "carol")]
    quiet = await sent_id(send, alice, carol, "something odd")
    loud = await sent_id(send, alice, bob, "something worse")

    await moderation.flag_message_for_review(
        user_id=carol.id, message_id=quiet, reason="odd", votes_needed=3
    )
    count = await moderation.flag_message_for_review(
        user_id=bob.id, message_id=loud, reason="rude", votes_needed=3
    )
    assert count == 1
    queue = await moderation.list_review_queue(ReviewFilter())
    assert [i.message.id for i in queue] == [quiet, loud]  # same priority: oldest first

    again = await moderation.flag_message_for_review(
        user_id=bob.id, message_id=loud, reason="rude", votes_needed=3
    )
    assert again == 1  # the same user flagging twice counts once
    await moderation.flag_message_for_review(
        user_id=alice.id, message_id=loud, reason="regret", votes_needed=3
    )
    queue = await moderation.list_review_queue(ReviewFilter(source=ReviewSource.FLAG))
    assert [(i.message.id, i.flag_count, i.priority) for i in queue] == [
        (loud, 2, flag_priority(2)),
        (quiet, 1, flag_priority(1)),
    ]
    assert (queue[0].reason, queue[0].votes_needed, queue[0].state) == (
        "regret",
        3,
        ReviewState.OPEN,
    )


async def test_a_flag_on_a_model_item_takes_it_over_and_keeps_the_higher_priority(
    moderation: ModerationStore, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    message_id = await sent_id(send, alice, bob, "hmm")
    item_id = await in_review(moderation, message_id, category="hate", priority=20)

    # in review, the message is hidden from bob; its sender may still flag it
    await moderation.flag_message_for_review(
        user_id=alice.id, message_id=message_id, reason="hateful", votes_needed=3
    )

    item = await moderation.get_review_item(item_id)
    assert item is not None
    assert (item.source, item.priority, item.flag_count, item.category, item.reason) == (
        ReviewSource.FLAG,
        max(20, flag_priority(1)),
        1,
        "hate",
        "hateful",
    )
    assert item.model_verdict == "review"
    assert await moderation.get_review_item(item_id + 10**9) is None


async def test_a_stranger_cannot_flag_a_message_they_cannot_see(
    moderation: ModerationStore, make_user, send
) -> None:
    alice, bob, eve = [await make_user(n) for n in ("alice", "bob", "eve")]
    message_id = await sent_id(send, alice, bob)
    with pytest.raises(ParleyError) as caught:
        await moderation.flag_message_for_review(
            user_id=eve.id, message_id=message_id, reason="x", votes_needed=3
        )
    assert caught.value.code is ErrorCode.NOT_FOUND
    assert await moderation.list_review_queue(ReviewFilter()) == []


async def test_a_lease_keeps_others_out_until_it_expires(
    moderation: ModerationStore, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    one, two = await moderators(make_user, 2)
    message_id = await sent_id(send, alice, bob, "x")
    await moderation.flag_message_for_review(
        user_id=bob.id, message_id=message_id, reason="x", votes_needed=2
    )
    item = await moderation.claim_review_item(
        moderator_id=one.id, item_id=None, lease_until=T0 + LEASE, now=T0
    )
    assert (item.message.id, item.claimed_by, item.lease_until) == (message_id, one.id, T0 + LEASE)

    with pytest.raises(ParleyError) as caught:
        await moderation.claim_review_item(
            moderator_id=two.id, item_id=item.id, lease_until=T0 + 2 * LEASE, now=T0 + LEASE / 2
        )
    assert caught.value.code is ErrorCode.CONFLICT
    with pytest.raises(ParleyError) as caught:  # nothing else to claim
        await moderation.claim_review_item(
            moderator_id=two.id, item_id=None, lease_until=T0 + 2 * LEASE, now=T0 + LEASE / 2
        )
    assert caught.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(ParleyError) as caught:
        await moderation.claim_review_item(
            moderator_id=two.id, item_id=item.id + 10**9, lease_until=T0 + LEASE, now=T0
        )
    assert caught.value.code is ErrorCode.NOT_FOUND

    later = T0 + LEASE + timedelta(seconds=1)
    with pytest.raises(ParleyError) as caught:  # an expired lease no longer lets one vote
        await moderation.cast_review_vote(
            moderator_id=one.id,
            item_id=item.id,
            choice=VoteChoice.APPROVE,
            category=None,
            now=later,
            hidden_categories=HIDDEN,
        )
    assert caught.value.code is ErrorCode.CONFLICT
    taken = await moderation.claim_review_item(
        moderator_id=two.id, item_id=None, lease_until=later + LEASE, now=later
    )
    assert (taken.id, taken.claimed_by) == (item.id, two.id)


async def test_a_majority_resolves_the_item_tells_the_sender_and_keeps_the_label(
    moderation: ModerationStore, store: Store, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    mods = await moderators(make_user, 4)
    message_id = await sent_id(send, alice, bob, "you are vile", premoderate_first=True)
    item_id = await in_review(moderation, message_id)

    first = await vote(moderation, mods[0], item_id, VoteChoice.REMOVE, "hate")
    second = await vote(moderation, mods[1], item_id, VoteChoice.APPROVE)
    assert not first.resolved
    assert not second.resolved
    assert [v.moderator_id for v in second.item.votes] == [mods[0].id, mods[1].id]
    assert second.item.claimed_by is None  # a vote gives the lease up
    with pytest.raises(ParleyError) as caught:  # one vote per moderator
        await moderation.claim_review_item(
            moderator_id=mods[0].id, item_id=item_id, lease_until=T0 + LEASE, now=T0
        )
    assert caught.value.code is ErrorCode.CONFLICT

    third = await vote(moderation, mods[2], item_id, VoteChoice.REMOVE, "hate")
    assert third.resolved
    assert (third.item.state, third.item.outcome, third.item.outcome_category) == (
        ReviewState.RESOLVED,
        VoteChoice.REMOVE,
        "hate",
    )
    assert third.item.resolved_at == T0
    message = await store.get_message(message_id)
    assert message is not None
    assert message.moderation_status is ModerationStatus.REMOVED
    assert message.premoderation_status is PreModerationStatus.REJECTED
    assert status_changes(third.events, message_id) == {
        alice.id: "Moderators removed your message for hate."
    }
    with pytest.raises(ParleyError) as caught:
        await vote(moderation, mods[3], item_id, VoteChoice.APPROVE)
    assert caught.value.code is ErrorCode.CONFLICT

    labels = await moderation.list_training_labels()
    assert [(x.message_id, x.toxic, x.category, x.text, x.source) for x in labels] == [
        (message_id, True, "hate", "you are vile", ReviewSource.MODEL)
    ]
    audit = await moderation.list_audit_log(actor_id=None, before_id=None, limit=50)
    actions = [(a.actor_id, a.action) for a in reversed(audit)]
    assert (mods[0].id, "claim") in actions
    assert (mods[0].id, "vote:remove") in actions
    assert actions[-1] == (None, "resolve:remove")
    assert audit[0].target_id == message_id
    stats = await moderation.get_moderation_stats_inputs(latency_window=10)
    assert [(r.source, r.model_verdict, r.outcome) for r in stats.reviewed] == [
        (ReviewSource.MODEL, "review", VoteChoice.REMOVE)
    ]
    assert stats.review_open == 0


async def test_a_tie_waits_for_another_vote(
    moderation: ModerationStore, store: Store, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    mods = await moderators(make_user, 3)
    message_id = await sent_id(send, alice, bob, "borderline")
    await moderation.flag_message_for_review(
        user_id=bob.id, message_id=message_id, reason="x", votes_needed=2
    )
    [item] = await moderation.list_review_queue(ReviewFilter())
    await vote(moderation, mods[0], item.id, VoteChoice.APPROVE)
    tied = await vote(moderation, mods[1], item.id, VoteChoice.RESTRICT, "harassment")
    assert not tied.resolved
    assert len(tied.item.votes) == 2
    decided = await vote(moderation, mods[2], item.id, VoteChoice.APPROVE)
    assert decided.resolved
    assert decided.item.outcome is VoteChoice.APPROVE
    message = await store.get_message(message_id)
    assert message is not None
    assert message.moderation_status is ModerationStatus.APPROVED
    [label] = await moderation.list_training_labels()
    assert (label.toxic, label.source) == (False, ReviewSource.FLAG)


async def test_restrict_hides_a_hidden_category_and_flags_the_rest(
    moderation: ModerationStore, store: Store, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    mods = await moderators(make_user, 3)
    hateful = await sent_id(send, alice, bob, "hateful")
    sad = await sent_id(send, alice, bob, "sad")
    for message_id in (hateful, sad):
        await moderation.flag_message_for_review(
            user_id=bob.id, message_id=message_id, reason="x", votes_needed=3
        )
    by_message = {i.message.id: i.id for i in await moderation.list_review_queue(ReviewFilter())}

    for mod in mods:
        hidden = await vote(moderation, mod, by_message[hateful], VoteChoice.RESTRICT, "hate")
    # the most named category wins; on a tie the one named first
    await vote(moderation, mods[0], by_message[sad], VoteChoice.RESTRICT, "spam")
    await vote(moderation, mods[1], by_message[sad], VoteChoice.RESTRICT, "self_harm")
    flagged = await vote(moderation, mods[2], by_message[sad], VoteChoice.RESTRICT, "self_harm")

    assert hidden.resolved
    assert flagged.resolved
    assert flagged.item.outcome_category == "self_harm"
    statuses = [await store.get_message(i) for i in (hateful, sad)]
    assert [m.moderation_status for m in statuses if m] == [
        ModerationStatus.HIDDEN,
        ModerationStatus.FLAGGED,
    ]
    assert status_changes(flagged.events, sad)[alice.id] == (
        "Moderators restricted your message for self-harm."
    )


async def test_the_queue_filters_by_state_source_category_and_priority(
    moderation: ModerationStore, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    hateful = await sent_id(send, alice, bob, "hateful")
    flagged = await sent_id(send, alice, bob, "meh")
    await in_review(moderation, hateful, category="hate", priority=20)
    await moderation.flag_message_for_review(
        user_id=bob.id, message_id=flagged, reason="x", votes_needed=1
    )

    async def ids(query: ReviewFilter) -> list[int]:
        return [i.message.id for i in await moderation.list_review_queue(query)]

    assert await ids(ReviewFilter()) == [hateful, flagged]  # priority 20 before 15
    assert await ids(ReviewFilter(limit=1)) == [hateful]
    assert await ids(ReviewFilter(category="hate")) == [hateful]
    assert await ids(ReviewFilter(source=ReviewSource.FLAG)) == [flagged]
    assert await ids(ReviewFilter(min_priority=18)) == [hateful]
    [mod] = await moderators(make_user, 1)
    flag_item = (await moderation.list_review_queue(ReviewFilter(source=ReviewSource.FLAG)))[0]
    await vote(moderation, mod, flag_item.id, VoteChoice.APPROVE)
    assert await ids(ReviewFilter(state=ReviewState.RESOLVED)) == [flagged]
    assert await ids(ReviewFilter()) == [hateful]
    claimed = await moderation.claim_review_item(
        moderator_id=mod.id,
        item_id=None,
        lease_until=T0 + LEASE,
        now=T0,
        query=ReviewFilter(source=ReviewSource.MODEL),
    )
    assert claimed.message.id == hateful


async def test_the_audit_log_pages_newest_first_and_by_actor(
    moderation: ModerationStore, make_user
) -> None:
    one, two = await moderators(make_user, 2)
    for actor, action in ((one, "block_sending"), (two, "unblock_sending"), (one, "claim")):
        await moderation.append_audit_log(
            actor_id=actor.id, action=action, target_kind="user", target_id=7, detail="why"
        )
    await moderation.append_audit_log(
        actor_id=None, action="resolve:approve", target_kind="message", target_id=9, detail=""
    )

    newest = await moderation.list_audit_log(actor_id=None, before_id=None, limit=2)
    assert [(a.actor_id, a.action) for a in newest] == [
        (None, "resolve:approve"),
        (one.id, "claim"),
    ]
    older = await moderation.list_audit_log(actor_id=None, before_id=newest[-1].id, limit=10)
    assert [a.action for a in older] == ["unblock_sending", "block_sending"]
    mine = await moderation.list_audit_log(actor_id=one.id, before_id=None, limit=10)
    assert [(a.action, a.target_kind, a.target_id, a.detail) for a in mine] == [
        ("claim", "user", 7, "why"),
        ("block_sending", "user", 7, "why"),
    ]
    assert await moderation.list_audit_log(actor_id=None, before_id=None, limit=0) == []


async def test_stats_count_the_backlog_and_the_open_items(
    moderation: ModerationStore, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    ids = [await sent_id(send, alice, bob, f"m{i}") for i in range(4)]
    await in_review(moderation, ids[0])
    await moderation.apply_moderation_decisions(
        [decision(ids[1], ModerationStatus.APPROVED)], votes_needed=3
    )

    stats = await moderation.get_moderation_stats_inputs(latency_window=1)
    assert (stats.backlog, stats.review_open, stats.reviewed) == (2, 1, [])
    assert len(stats.latencies_us) == 1  # the window


async def test_archiving_leaves_undecided_messages_hot_in_the_queue(
    moderation: ModerationStore, store: Store, make_user, send, clock
) -> None:
    alice, bob, cat = [await make_user(n) for n in ("alice", "bob", "cat")]
    decided = await sent_id(send, alice, bob, "decided")
    undecided = await sent_id(send, alice, bob, "undecided")
    held = await sent_id(send, cat, bob, "first!", premoderate_first=True)
    await moderation.apply_moderation_decisions(
        [
            decision(decided, ModerationStatus.APPROVED),
            decision(held, ModerationStatus.IN_REVIEW, review=ReviewSource.MODEL, priority=10),
        ],
        votes_needed=3,
    )
    later = clock.tick(3600)

    assert await store.archive_messages(older_than=later, batch_size=100) == 1  # decided
    assert await store.archive_messages(older_than=later, batch_size=100) == 0
    queue = await moderation.get_unmoderated_messages(after_id=0, limit=10)
    assert [m.id for m in queue] == [undecided]

    await moderation.apply_moderation_decisions(
        [decision(undecided, ModerationStatus.APPROVED)], votes_needed=3
    )
    assert await store.archive_messages(older_than=later, batch_size=100) == 1
    # still pending behind review: it moves once the vote releases or rejects it
    assert await store.archive_messages(older_than=later, batch_size=100) == 0
    message = await store.get_message(held)
    assert message is not None
    assert message.premoderation_status is PreModerationStatus.PENDING


async def test_any_split_and_replay_of_decisions_applies_each_message_once(
    moderation: ModerationStore, store: Store, make_user, send
) -> None:
    """Idempotency under a worker's worst days: batches split anywhere, overlapping,
    replayed after a crash, naming a message twice. The first decision for a message
    wins; every later one is skipped and writes nothing."""
    alice, bob = await make_user("alice"), await make_user("bob")
    ids = [await sent_id(send, alice, bob, f"m{i}") for i in range(12)]
    chance = random.Random(20261125)
    statuses = [s for s in VERDICTS if s is not ModerationStatus.IN_REVIEW]
    decisions = [decision(i, chance.choice(statuses)) for i in ids for _ in range(2)]
    chance.shuffle(decisions)
    first: dict[int, ModerationStatus] = {}
    applied_total = 0
    for _ in range(2):  # the second round is the replay after a crash
        start = 0
        while start < len(decisions):
            end = start + chance.randint(1, 7)
            batch = decisions[start:end]
            outcome = await moderation.apply_moderation_decisions(batch, votes_needed=3)
            expected = []
            for record in batch:
                if record.message_id not in first:
                    first[record.message_id] = record.status
                    expected.append(record.message_id)
            assert outcome.applied == expected
            assert sorted(outcome.applied + outcome.skipped) == sorted(r.message_id for r in batch)
            told = {r.message_id for r in batch if status_changes(outcome.events, r.message_id)}
            assert told <= set(expected)
            applied_total += len(outcome.applied)
            start = end

    assert applied_total == len(ids)
    for message_id in ids:
        message = await store.get_message(message_id)
        assert message is not None
        assert message.moderation_status is first[message_id]
    stats = await moderation.get_moderation_stats_inputs(latency_window=100)
    assert (len(stats.latencies_us), stats.backlog) == (len(ids), 0)
