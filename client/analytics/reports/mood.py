"""Emojis you use, and a mood trend read from them.

Valence table: a small hand-made scale from -2 (distress) to +2 (joy) for common
emojis; skin tones and the emoji variation selector are ignored when looking one up.
Emojis outside the table count for "top emojis" but not for mood. A month's mood is the
mean valence of the table emojis you sent that month; the trend is the least-squares
slope over months ("rising" above +TREND_SLOPE per month, "falling" below its negative).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import emoji

from parley.client.analytics.model import Message, MessageKind

TREND_SLOPE = 0.05
TOP = 10

VALENCE: dict[str, int] = {
    "😂": 2, "🤣": 2, "😍": 2, "🥰": 2, "😘": 2, "❤": 2, "💕": 2, "💖": 2, "💗": 2,
    "😁": 2, "😄": 2, "😃": 2, "🥳": 2, "🎉": 2, "😻": 2, "💯": 1, "😊": 2, "☺": 1,
    "😀": 1, "🙂": 1, "😉": 1, "😎": 1, "👍": 1, "👌": 1, "🙏": 1, "💪": 1, "✨": 1,
    "🔥": 1, "😋": 1, "😜": 1, "😝": 1, "🤗": 1, "👏": 1, "🌞": 1, "😇": 1, "🤩": 2,
    "😅": 1, "😆": 2, "🙌": 1, "💙": 2, "💚": 2, "💛": 2, "💜": 2, "🧡": 2, "😌": 1,
    "😐": 0, "😑": 0, "🤔": 0, "😶": 0, "🙄": -1, "😒": -1, "😕": -1, "😟": -1,
    "😔": -1, "😞": -1, "😩": -1, "😫": -1, "😓": -1, "😬": -1, "🤦": -1, "🤷": 0,
    "😢": -2, "😭": -2, "😡": -2, "😠": -2, "🤬": -2, "💔": -2, "😱": -1, "😰": -1,
    "😨": -1, "😖": -2, "😣": -1, "👎": -1, "😷": -1, "🤒": -1, "🤕": -1, "😤": -1,
    "😪": -1, "😴": 0, "🥺": -1, "☹": -1, "🙁": -1,
}  # fmt: skip

_MODIFIERS = re.compile("[\ufe0f\U0001f3fb-\U0001f3ff]")
# Runs of the characters emojis are made of (symbols, pictographs, joiners, variation
# selectors, flag tags): only these runs go through the emoji package's tokenizer, which
# walks text one character at a time and would otherwise dominate the reports' cost.
_EMOJI_RUN = re.compile(
    "(?:[0-9#*]\ufe0f?\u20e3"  # keycaps
    "|[\u00a9\u00ae\u203c-\u3299\U0001f000-\U0001faff\u200d\ufe0f\U000e0020-\U000e007f])+"
)


def emojis_in(text: str) -> list[str]:
    return [found["emoji"] for run in _EMOJI_RUN.findall(text) for found in emoji.emoji_list(run)]


def valence(symbol: str) -> int | None:
    return VALENCE.get(_MODIFIERS.sub("", symbol))


def emoji_counts(messages: Iterable[Message]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for message in messages:
        if message.kind is MessageKind.TEXT:
            counts.update(emojis_in(message.text))
    return counts


def mood(messages: Iterable[Message]) -> dict[str, Any]:
    """Top emojis with their valence, the monthly mood and its trend."""
    counts: Counter[str] = Counter()
    monthly: dict[str, list[int]] = defaultdict(list)
    for message in messages:
        if message.kind is not MessageKind.TEXT:
            continue
        found = emojis_in(message.text)
        if not found:
            continue
        counts.update(found)
        month = message.time.strftime("%Y-%m")
        monthly[month].extend(v for v in map(valence, found) if v is not None)
    months: list[dict[str, Any]] = [
        {"month": month, "mood": round(sum(values) / len(values), 3), "emojis": len(values)}
        for month, values in sorted(monthly.items())
        if values
    ]
    return {
        "top_emojis": [
            {"emoji": symbol, "count": count, "valence": valence(symbol)}
            for symbol, count in counts.most_common(TOP)
        ],
        "months": months,
        "trend": trend([row["mood"] for row in months]),
    }


def trend(values: list[float]) -> str:
    if len(values) < 2:
        return "unknown"
    n = len(values)
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    slope = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values)) / sum(
        (i - mean_x) ** 2 for i in range(n)
    )
    if slope > TREND_SLOPE:
        return "rising"
    if slope < -TREND_SLOPE:
        return "falling"
    return "steady"
