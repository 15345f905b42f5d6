"""The analytics document as one self-contained HTML page (no scripts, no remote files).

Bars are plain CSS widths, so the page opens offline in any browser and can be mailed
or archived as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:960px;color:#1d2330}
h1{margin-bottom:.2rem}.local{color:#2e7d32;font-weight:600}
section{border:1px solid #dde3ee;border-radius:10px;padding:1rem 1.4rem;margin:1rem 0}
table{border-collapse:collapse}td,th{padding:.2rem .6rem;text-align:left}
.bars{display:flex;align-items:flex-end;gap:2px;height:120px}
.bars div{background:#3f6fd8;flex:1;min-height:1px}.axis{display:flex;gap:2px;font-size:.7rem}
.axis span{flex:1;text-align:center}.note{color:#8a5a00;font-size:.9rem}
"""


def _bars(values: Sequence[float], labels: Sequence[str]) -> str:
    top = max(values, default=0) or 1
    bars = "".join(
        f'<div title="{escape(label)}: {value}" style="height:{100 * value / top:.1f}%"></div>'
        for value, label in zip(values, labels, strict=True)
    )
    axis = "".join(f"<span>{escape(label)}</span>" for label in labels)
    return f'<div class="bars">{bars}</div><div class="axis">{axis}</div>'


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _window(window: dict[str, Any] | None) -> str:
    if window is None:
        return "not enough data"
    return f"{window['start_hour']:02d}:00 to {window['end_hour']:02d}:00"


def render_html(document: dict[str, Any]) -> str:
    you = document["you"]
    hours = [f"{h}" for h in range(24)]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Your chats, wrapped</title><style>{_STYLE}</style></head><body>",
        "<h1>Your chats, wrapped</h1>",
        f"<p class='local'>{escape(document['computed_locally'])}</p>",
        "<section><h2>You</h2>",
        f"<p>As {escape(', '.join(you['names']) or 'nobody')}: {you['messages']} messages."
        f" Longest streak: {(you['streak'] or {}).get('days', 0)} days."
        f" Probably asleep {_window(you['sleep'])}; probably at work {_window(you['work'])}.</p>",
        "<h3>Hours you write at</h3>",
        _bars(you["hours"], hours),
        "<h3>Hours you reply at</h3>",
        _bars(you["replies"]["reply_hours"], hours),
        "<h3>Your reply delay per contact (median)</h3>",
        _table(
            ["contact", "replies", "median delay (min)"],
            [
                [row["name"], row["replies"], round(row["median_delay_seconds"] / 60, 1)]
                for row in you["replies"]["delay_per_contact"]
            ],
        ),
        f"<p>Fastest replied: {escape(', '.join(you['replies']['fastest_replied']) or '-')}</p>",
        f"<h3>Mood from your emojis ({escape(you['mood']['trend'])})</h3>",
        _bars(
            [row["mood"] + 2 for row in you["mood"]["months"]],
            [row["month"] for row in you["mood"]["months"]],
        ),
        "<p>Top emojis: "
        + escape(" ".join(f"{e['emoji']}×{e['count']}" for e in you["mood"]["top_emojis"]))
        + "</p>",
        "<h3>Favourite topics</h3><p>"
        + escape(", ".join(row["word"] for row in you["topics"]) or "-")
        + "</p>",
        "<h3>People over time</h3>",
        _table(
            ["name", "first month", "last month", "messages"],
            [
                [r["name"], r["first_month"], r["last_month"], r["messages"]]
                for r in you["people"]["people"]
            ],
        ),
        "<h3>Shared groups</h3>",
        _table(["name", "groups"], [[r["name"], r["groups"]] for r in you["shared_groups"]]),
        "</section>",
        _comparison(document["comparison"]),
        "<section><h2>Chats</h2>",
        _table(
            ["chat", "platform", "messages", "system", "participants", "first", "last"],
            [
                [
                    c["name"],
                    c["platform"],
                    c["messages"],
                    c["system_messages"],
                    len(c["participants"]),
                    c["first"] or "",
                    c["last"] or "",
                ]
                for c in document["chats"]
            ],
        ),
    ]
    for chat in document["chats"]:
        for note in chat["notes"]:
            parts.append(f"<p class='note'>{escape(chat['name'])}: {escape(note)}</p>")
    parts.append("</section></body></html>")
    return "\n".join(parts)


def _comparison(comparison: dict[str, Any]) -> str:
    you = comparison["you"]
    if comparison["baseline"] == "aggregate":
        others = comparison["others"]
        rows = [
            ["peak hour", you["peak_hour"], others["peak_hour"]],
            ["share of messages 00-06", you["night_share"], others["night_share"]],
            ["mean length (characters)", you["mean_length"], others["mean_length"]],
            ["top emojis", " ".join(you["top_emojis"]), " ".join(others["top_emojis"])],
        ]
        title = f"You and {comparison['contributors']} people (anonymized figures)"
        return f"<section><h2>{escape(title)}</h2>{_table(['', 'you', 'others'], rows)}</section>"
    rows = [
        [c["chat"], c["messages"], c["peak_hour"], c["mean_length"], " ".join(c["top_emojis"])]
        for c in comparison["chats"]
    ]
    table = _table(["chat", "your messages", "peak hour", "mean length", "top emojis"], rows)
    return f"<section><h2>You across your chats</h2>{table}</section>"
