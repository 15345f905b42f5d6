"""How you compare: top emojis, usage hours and message length against a baseline.

The baseline is an **aggregate of anonymized figures** when the user has one (files
written by ``parley analytics --figures-out``, possibly merged from many people), else
the user's own chats compared with each other.

Anonymization of a figures file (see :func:`anonymized_figures`): it holds no text, no
names, no chat names and no times of single messages; only the share of messages per
hour of day (rounded to 3 decimals), the mean message length in characters (1 decimal),
the share of each of the TOP_EMOJIS most used emojis (3 decimals; only symbols the
Unicode emoji list knows, never words), and the message count rounded down to a multiple
of 100 (used only to weigh contributions when merging).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from parley.client.analytics.model import Chat, Message, MessageKind
from parley.client.analytics.reports.activity import hour_histogram, people_messages
from parley.client.analytics.reports.mood import emoji_counts

FIGURES_FORMAT = "parley.analytics-figures"
FIGURES_VERSION = 1
TOP_EMOJIS = 20
TOP = 5


class Figures(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    format: str = FIGURES_FORMAT
    version: int = FIGURES_VERSION
    contributors: int = 1
    messages: int  # rounded down to a multiple of 100
    hour_share: list[float]
    mean_length: float
    emoji_share: dict[str, float]


def my_messages(chats: Sequence[Chat]) -> list[Message]:
    return [m for chat in chats for m in people_messages(chat) if m.author == chat.me]


def _mean_length(messages: Sequence[Message]) -> float:
    texts = [len(m.text) for m in messages if m.kind is MessageKind.TEXT]
    return sum(texts) / len(texts) if texts else 0.0


def anonymized_figures(messages: Sequence[Message]) -> Figures:
    hours = hour_histogram(messages)
    total = sum(hours) or 1
    emojis = emoji_counts(messages)
    emoji_total = sum(emojis.values()) or 1
    return Figures(
        messages=len(messages) // 100 * 100,
        hour_share=[round(count / total, 3) for count in hours],
        mean_length=round(_mean_length(messages), 1),
        emoji_share={
            symbol: round(count / emoji_total, 3)
            for symbol, count in emojis.most_common(TOP_EMOJIS)
        },
    )


def merge_figures(parts: Sequence[Figures]) -> Figures:
    """One aggregate from many, each weighted by its number of contributors."""
    weight = sum(part.contributors for part in parts)
    emoji_share: dict[str, float] = {}
    for part in parts:
        for symbol, share in part.emoji_share.items():
            emoji_share[symbol] = emoji_share.get(symbol, 0.0) + share * part.contributors / weight
    return Figures(
        contributors=weight,
        messages=sum(part.messages for part in parts),
        hour_share=[
            round(sum(part.hour_share[h] * part.contributors for part in parts) / weight, 3)
            for h in range(24)
        ],
        mean_length=round(sum(p.mean_length * p.contributors for p in parts) / weight, 1),
        emoji_share={
            s: round(v, 3)
            for s, v in sorted(emoji_share.items(), key=lambda item: -item[1])[:TOP_EMOJIS]
        },
    )


def _peak(hour_share: Sequence[float]) -> int:
    return max(range(24), key=lambda hour: (hour_share[hour], -hour))


def _night_share(hour_share: Sequence[float]) -> float:
    return round(sum(hour_share[h] for h in (0, 1, 2, 3, 4, 5)), 3)


def _side(figures: Figures) -> dict[str, Any]:
    return {
        "top_emojis": list(figures.emoji_share)[:TOP],
        "peak_hour": _peak(figures.hour_share),
        "night_share": _night_share(figures.hour_share),
        "mean_length": figures.mean_length,
        "hour_share": figures.hour_share,
    }


def compare(chats: Sequence[Chat], aggregate: Figures | None) -> dict[str, Any]:
    mine = anonymized_figures(my_messages(chats))
    if aggregate is not None:
        return {
            "baseline": "aggregate",
            "contributors": aggregate.contributors,
            "you": _side(mine),
            "others": _side(aggregate),
            "length_ratio": round(mine.mean_length / aggregate.mean_length, 2)
            if aggregate.mean_length
            else None,
        }
    per_chat = []
    for chat in chats:
        own = [m for m in people_messages(chat) if m.author == chat.me]
        if not own:
            continue
        figures = anonymized_figures(own)
        per_chat.append({"chat": chat.name, "messages": len(own), **_side(figures)})
    return {"baseline": "own-chats", "you": _side(mine), "chats": per_chat}
