"""The event store routes by user: only that user's subscriptions see an event."""

from __future__ import annotations

from parley.server.event_store import EventStore
from parley.shared.events import ConversationChanged, SendingBlockedForUser, UserEvent


def event(user_id: int, seq: int) -> UserEvent:
    return UserEvent(user_id=user_id, seq=seq, event=ConversationChanged(conversation_id="1-2"))


def test_events_reach_every_subscription_of_their_user_only() -> None:
    store = EventStore()
    seen: dict[str, list[int]] = {"phone": [], "laptop": [], "other": []}
    store.subscribe(1, lambda e: seen["phone"].append(e.seq))
    store.subscribe(1, lambda e: seen["laptop"].append(e.seq))
    store.subscribe(2, lambda e: seen["other"].append(e.seq))
    store.publish([event(1, 1), event(3, 1), event(1, 2)])
    assert seen == {"phone": [1, 2], "laptop": [1, 2], "other": []}


def test_disposing_the_last_subscription_forgets_the_user() -> None:
    store = EventStore()
    got: list[int] = []
    first = store.subscribe(1, lambda e: got.append(e.seq))
    second = store.subscribe(1, lambda e: got.append(-e.seq))
    first.dispose()
    first.dispose()  # idempotent
    store.publish([event(1, 5)])
    assert got == [-5]
    assert store.subscribed_users == 1
    second.dispose()
    assert store.subscribed_users == 0
    store.publish([event(1, 6)])
    assert got == [-5]


def test_a_failing_subscriber_does_not_stop_the_others(caplog) -> None:
    store = EventStore()
    got: list[UserEvent] = []

    def broken(_: UserEvent) -> None:
        raise RuntimeError("subscriber bug")

    store.subscribe(1, broken)
    store.subscribe(1, got.append)
    blocked = UserEvent(user_id=1, seq=1, event=SendingBlockedForUser(blocked=True))
    store.publish([blocked])
    assert got == [blocked]
    assert "subscriber bug" in caplog.text


def test_routing_cost_does_not_depend_on_other_users() -> None:
    """Publishing to one user touches only that user's subject (a dict lookup)."""
    store = EventStore()
    calls = {"n": 0}

    def count(_: UserEvent) -> None:
        calls["n"] += 1

    for user_id in range(2, 5002):
        store.subscribe(user_id, count)
    mine: list[int] = []
    store.subscribe(1, lambda e: mine.append(e.seq))
    store.publish([event(1, 1)])
    assert mine == [1]
    assert calls["n"] == 0
