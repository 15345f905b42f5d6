"""When people write: counts, streaks, silences, hours, and the sleep and work windows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

from parley.client.analytics.model import Chat, Message, MessageKind

# An hour is "quiet" when it holds at most this share of the average hour's messages.
QUIET_SHARE = 0.2
# A weekday hour is "busy" (at work) when its rate is below this share of the weekend's.
BUSY_SHARE = 0.5
MIN_WINDOW_HOURS = 3
EXCERPT = 280


_APP_WRITTEN = (MessageKind.SYSTEM, MessageKind.CALL)


def people_messages(chat: Chat) -> list[Message]:
    """Messages written by people (the ``by_person`` rule, inlined: it runs per message)."""
    app = _APP_WRITTEN
    return [m for m in chat.messages if m.author is not None and m.kind not in app]


def iso(moment: datetime) -> str:
    return moment.isoformat()


def excerpt(message: Message) -> dict[str, Any]:
    return {"time": iso(message.time), "author": message.author, "text": message.text[:EXCERPT]}


def longest_streak(days: Iterable[date]) -> dict[str, Any] | None:
    """Longest run of consecutive calendar days in ``days``."""
    ordered = sorted(set(days))
    if not ordered:
        return None
    best = (1, ordered[0], ordered[0])
    start = previous = ordered[0]
    for day in ordered[1:]:
        if day - previous != timedelta(days=1):
            start = day
        length = (day - start).days + 1
        if length > best[0]:
            best = (length, start, day)
        previous = day
    return {"days": best[0], "start": best[1].isoformat(), "end": best[2].isoformat()}


def longest_silence(messages: Sequence[Message]) -> dict[str, Any] | None:
    """Longest gap between two consecutive messages written by people."""
    times = sorted(m.time for m in messages)
    if len(times) < 2:
        return None
    gap, start, end = max(((b - a, a, b) for a, b in pairwise(times)))
    return {"start": iso(start), "end": iso(end), "hours": round(gap.total_seconds() / 3600, 2)}


def hour_histogram(messages: Iterable[Message]) -> list[int]:
    counts = [0] * 24
    for message in messages:
        counts[message.time.hour] += 1
    return counts


def weekday_histogram(messages: Iterable[Message]) -> list[int]:
    counts = [0] * 7
    for message in messages:
        counts[message.time.weekday()] += 1
    return counts


def _longest_circular_run(flags: list[bool]) -> tuple[int, int] | None:
    """(start hour, length) of the longest run of True hours, wrapping past midnight."""
    if all(flags) or not any(flags):
        return None
    start_at = flags.index(False)  # begin just after a False so runs never wrap mid-way
    best: tuple[int, int] | None = None
    run_start, run = 0, 0
    for step in range(1, 25):
        hour = (start_at + step) % 24
        if flags[hour]:
            if run == 0:
                run_start = hour
            run += 1
            if best is None or run > best[1]:
                best = (run_start, run)
        else:
            run = 0
    return best


def sleep_window(hours: list[int]) -> dict[str, Any] | None:
    """The longest daily stretch of quiet hours: when you are usually asleep.

    Quiet means at most QUIET_SHARE of the mean hourly count; at least
    MIN_WINDOW_HOURS long, else None.
    """
    total = sum(hours)
    if total == 0:
        return None
    threshold = QUIET_SHARE * total / 24
    found = _longest_circular_run([count <= threshold for count in hours])
    if found is None or found[1] < MIN_WINDOW_HOURS:
        return None
    start, length = found
    return {"start_hour": start, "end_hour": (start + length) % 24, "hours": length}


def work_window(messages: Sequence[Message], sleep: dict[str, Any] | None) -> dict[str, Any] | None:
    """Weekday hours you write much less than at the same hour on weekends: likely work.

    An hour is busy when its weekday rate is below BUSY_SHARE of its weekend rate (rates
    per calendar day of the period, so more weekdays do not look busier). The window is
    the longest stretch from a busy hour to a busy hour that crosses only busy hours and
    hours nobody writes in, outside sleep; at least MIN_WINDOW_HOURS long.
    """
    if not messages:
        return None
    first = min(m.time for m in messages).date()
    last = max(m.time for m in messages).date()
    span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    weekdays = sum(1 for day in span if day.weekday() < 5)
    weekends = len(span) - weekdays
    if not weekdays or not weekends:
        return None
    weekday_counts = [0] * 24
    weekend_counts = [0] * 24
    for message in messages:
        target = weekday_counts if message.time.weekday() < 5 else weekend_counts
        target[message.time.hour] += 1
    if not sum(weekend_counts) or not sum(weekday_counts):
        return None
    asleep: set[int] = set()
    if sleep is not None:
        asleep = {(sleep["start_hour"] + i) % 24 for i in range(sleep["hours"])}
    busy = [
        weekend_counts[hour] > 0
        and weekday_counts[hour] / weekdays < BUSY_SHARE * weekend_counts[hour] / weekends
        for hour in range(24)
    ]
    # Hours nobody writes in on any day do not interrupt a working day; others do.
    idle = [not weekday_counts[h] and not weekend_counts[h] for h in range(24)]
    best: tuple[int, int] | None = None
    for start in range(24):
        if not busy[start] or start in asleep:
            continue
        end = start  # last busy hour reached without crossing an active, non-busy hour
        for step in range(1, 24):
            hour = (start + step) % 24
            if hour in asleep or not (busy[hour] or idle[hour]):
                break
            if busy[hour]:
                end = hour
        length = (end - start) % 24 + 1
        if best is None or length > best[1]:
            best = (start, length)
    if best is None or best[1] < MIN_WINDOW_HOURS:
        return None
    start, length = best
    return {"start_hour": start, "end_hour": (start + length) % 24, "hours": length}


def chat_counts(chat: Chat) -> dict[str, Any]:
    people = people_messages(chat)
    by_author = Counter(m.author for m in people)
    by_kind = Counter(m.kind.value for m in people)
    return {
        "by_author": dict(by_author.most_common()),
        "media": by_kind.get(MessageKind.MEDIA.value, 0),
        "deleted": by_kind.get(MessageKind.DELETED.value, 0),
        "polls": by_kind.get(MessageKind.POLL.value, 0),
        "edited": sum(1 for m in people if m.edited),
        "calls": sum(1 for m in chat.messages if m.kind is MessageKind.CALL),
        "words": sum(len(m.text.split()) for m in people if m.kind is MessageKind.TEXT),
        "active_days": len({m.time.date() for m in people}),
    }
