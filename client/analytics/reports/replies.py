"""Replies versus new conversations, and how fast you answer whom.

A message by A is a **reply** when the previous message written by a person in the same
chat is by someone else, B, and was sent at most REPLY_WINDOW earlier; its delay is the
time between the two. When the previous message is older than REPLY_WINDOW (or there is
none) the message **starts a new conversation**. Further messages of A's run (A writing
again before anybody else does) are neither.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from parley.client.analytics.model import Chat, Message
from parley.client.analytics.reports.activity import people_messages

REPLY_WINDOW = timedelta(hours=6)
MIN_REPLIES = 3  # a contact needs this many replies from you to rank among the fastest
FASTEST = 5


class Reply:
    __slots__ = ("delay", "message", "to")

    def __init__(self, message: Message, to: str, delay: timedelta) -> None:
        self.message = message
        self.to = to
        self.delay = delay


def runs(messages: Sequence[Message]) -> list[list[Message]]:
    """Consecutive messages by the same author grouped together."""
    grouped: list[list[Message]] = []
    for message in messages:
        if grouped and grouped[-1][-1].author == message.author:
            grouped[-1].append(message)
        else:
            grouped.append([message])
    return grouped


def classify(chat: Chat) -> tuple[list[Reply], Counter[str]]:
    """All replies in a chat, and how many conversations each person started."""
    replies: list[Reply] = []
    starts: Counter[str] = Counter()
    previous: Message | None = None
    for message in sorted(people_messages(chat), key=lambda m: m.time):
        assert message.author is not None
        if previous is None or message.time - previous.time > REPLY_WINDOW:
            starts[message.author] += 1
        elif previous.author != message.author:
            assert previous.author is not None
            replies.append(Reply(message, previous.author, message.time - previous.time))
        previous = message
    return replies, starts


def _median_seconds(delays: Iterable[timedelta]) -> float:
    return round(statistics.median(d.total_seconds() for d in delays), 1)


def my_replies(chats: Sequence[Chat]) -> dict[str, Any]:
    """Hours you reply at, your median delay per contact, and who you answer fastest."""
    hours = [0] * 24
    per_contact: dict[str, list[timedelta]] = defaultdict(list)
    started = 0
    total_starts = 0
    for chat in chats:
        if chat.me is None:
            continue
        replies, starts = classify(chat)
        started += starts.get(chat.me, 0)
        total_starts += sum(starts.values())
        for reply in replies:
            if reply.message.author == chat.me:
                hours[reply.message.time.hour] += 1
                per_contact[reply.to].append(reply.delay)
    contacts: list[dict[str, Any]] = [
        {"name": name, "replies": len(delays), "median_delay_seconds": _median_seconds(delays)}
        for name, delays in per_contact.items()
    ]
    contacts.sort(key=lambda row: (-row["replies"], row["name"]))
    ranked = [row for row in contacts if row["replies"] >= MIN_REPLIES]
    ranked.sort(key=lambda row: (row["median_delay_seconds"], row["name"]))
    top_hours = sorted(range(24), key=lambda hour: (-hours[hour], hour))[:3]
    return {
        "reply_window_hours": REPLY_WINDOW.total_seconds() / 3600,
        "replies": sum(hours),
        "reply_hours": hours,
        "usual_reply_hours": [hour for hour in top_hours if hours[hour]],
        "delay_per_contact": contacts,
        "fastest_replied": [row["name"] for row in ranked[:FASTEST]],
        "conversations_started": started,
        "conversations": total_starts,
    }
