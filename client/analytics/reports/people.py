"""Who came into and went out of your chats, and who you share the most groups with."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from parley.client.analytics.model import Chat
from parley.client.analytics.reports.activity import people_messages

# Someone whose last message is this many months before the newest message "disappeared".
GONE_AFTER_MONTHS = 3
TOP = 10


def _month_index(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def timeline(chats: Sequence[Chat]) -> dict[str, Any]:
    """First and last month each other person wrote, and who went quiet for good."""
    first: dict[str, str] = {}
    last: dict[str, str] = {}
    counts: Counter[str] = Counter()
    newest = ""
    for chat in chats:
        for message in people_messages(chat):
            month = message.time.strftime("%Y-%m")
            newest = max(newest, month)
            if message.author == chat.me or message.author is None:
                continue
            name = message.author
            counts[name] += 1
            if name not in first or month < first[name]:
                first[name] = month
            if name not in last or month > last[name]:
                last[name] = month
    people: list[dict[str, Any]] = [
        {
            "name": name,
            "first_month": first[name],
            "last_month": last[name],
            "messages": counts[name],
        }
        for name in first
    ]
    people.sort(key=lambda row: (row["first_month"], row["name"]))
    gone = [
        row["name"]
        for row in sorted(people, key=lambda row: (row["last_month"], row["name"]))
        if newest and _month_index(newest) - _month_index(row["last_month"]) >= GONE_AFTER_MONTHS
    ]
    return {
        "people": people,
        "appeared": [row["name"] for row in people],
        "disappeared": gone,
        "gone_after_months": GONE_AFTER_MONTHS,
    }


def shared_groups(chats: Sequence[Chat]) -> list[dict[str, Any]]:
    """People you share the most group chats with (groups you wrote in, by name)."""
    together: Counter[str] = Counter()
    for chat in chats:
        people = chat.participants
        if chat.me is None or chat.me not in people or not (chat.is_group or len(people) > 2):
            continue
        together.update(name for name in people if name != chat.me)
    return [
        {"name": name, "groups": count}
        for name, count in sorted(together.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    ]
