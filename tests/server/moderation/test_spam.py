"""Spam heuristics: stateful over a time window, bounded in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from parley.server.moderation.spam import SpamSettings, SpamTracker

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PITCH = "Earn money from home, message me for the details!"


def test_same_text_to_many_receivers_trips_on_the_fifth() -> None:
    tracker = SpamTracker(SpamSettings(same_text_receivers=5))
    results = [
        tracker.check(PITCH, sender_id=1, receiver_id=r, sent_at=T0 + timedelta(seconds=r))
        for r in range(1, 6)
    ]
    assert results == [None, None, None, None, "spam.same_text_many_receivers"]


def test_obfuscated_copies_count_as_the_same_text() -> None:
    tracker = SpamTracker(SpamSettings(same_text_receivers=3))
    variants = [PITCH, PITCH.upper(), PITCH.replace("o", "0")]
    results = [
        tracker.check(v, sender_id=1, receiver_id=i, sent_at=T0) for i, v in enumerate(variants)
    ]
    assert results[-1] == "spam.same_text_many_receivers"


def test_same_receiver_or_old_messages_do_not_count() -> None:
    tracker = SpamTracker(SpamSettings(same_text_receivers=3, window_seconds=60))
    for _ in range(5):
        assert tracker.check(PITCH, sender_id=1, receiver_id=7, sent_at=T0) is None
    spaced = [
        tracker.check(PITCH, sender_id=1, receiver_id=r, sent_at=T0 + timedelta(minutes=2 * r))
        for r in range(10, 15)
    ]
    assert spaced == [None] * 5


def test_short_common_texts_are_never_a_campaign() -> None:
    tracker = SpamTracker(SpamSettings(same_text_receivers=2))
    assert all(
        tracker.check("ok", sender_id=1, receiver_id=r, sent_at=T0) is None for r in range(10)
    )


def test_link_floods_per_message_and_per_sender() -> None:
    tracker = SpamTracker(SpamSettings(links_per_message=3, links_per_sender=4))
    many = "deals: https://a.example https://b.example https://c.example"
    assert tracker.check(many, sender_id=1, receiver_id=2, sent_at=T0) == "spam.link_flood_message"
    one = "look at https://news.example/story"
    results = [tracker.check(one, sender_id=9, receiver_id=r, sent_at=T0) for r in range(4)]
    assert results == [None, None, None, "spam.link_flood_sender"]


def test_caps_and_repetition() -> None:
    tracker = SpamTracker()
    check = lambda text: tracker.check(text, sender_id=1, receiver_id=2, sent_at=T0)  # noqa: E731
    assert check("WHY IS NOBODY ANSWERING MY QUESTIONS IN THIS CHAT") == "spam.excessive_caps"
    assert check("NASA and the ESA launched it") is None
    assert check("hello" + "!" * 30) == "spam.repeated_characters"
    assert check("buy " * 12) == "spam.repeated_words"
    assert check("a perfectly ordinary sentence about the weather today") is None


def test_state_stays_bounded() -> None:
    tracker = SpamTracker(SpamSettings(max_tracked_keys=10))
    for i in range(500):
        text = f"distinct message number {i} with https://x{i}.example"
        tracker.check(text, sender_id=i, receiver_id=1, sent_at=T0)
    assert tracker.tracked_keys <= 20
