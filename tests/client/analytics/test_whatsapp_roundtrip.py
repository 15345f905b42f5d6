"""Property: any chat written in any WhatsApp header style parses back to itself."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from parley.client.analytics.whatsapp import parse_lines

AUTHORS = ["Ana", "~ Bo", "Chen 🐼", "+1 234 567", "Dr. Who", "María José", "Ö"]
LINE = st.text(alphabet="abcdefghijk XYZ,.!?'éñü😂❤🐼", min_size=1, max_size=30).filter(
    lambda line: line.strip() != "" and line.strip(" .").lower() != "null"
)
TEXT = st.lists(LINE, min_size=1, max_size=3).map("\n".join)
CLOCKS = ["24h", " AM", "\u202fPM", " a. m.", " pm"]


def header(
    moment: datetime, style: str, order: str, separator: str, year4: bool, clock: str
) -> str:
    year = f"{moment.year}" if year4 or order == "ymd" else f"{moment.year % 100:02d}"
    day, month = f"{moment.day:02d}", f"{moment.month:02d}"
    fields = {"dmy": (day, month, year), "mdy": (month, day, year), "ymd": (year, month, day)}
    date = separator.join(fields[order])
    if clock == "24h":
        time = f"{moment.hour:02d}:{moment.minute:02d}"
    else:
        hour = moment.hour % 12 or 12
        am = moment.hour < 12
        suffixes = {
            " AM": (" AM", " PM"),
            "\u202fPM": ("\u202fAM", "\u202fPM"),
            " a. m.": (" a. m.", " p. m."),
            " pm": (" am", " pm"),
        }
        suffix = suffixes[clock][0 if am else 1]
        time = f"{hour}:{moment.minute:02d}"
        if style == "ios":
            time += f":{moment.second:02d}"
        return f"[{date}, {time}{suffix}] " if style == "ios" else f"{date}, {time}{suffix} - "
    if style == "ios":
        return f"[{date}, {time}:{moment.second:02d}] "
    return f"{date}, {time} - "


@settings(max_examples=60, deadline=None)
@given(
    messages=st.lists(
        st.tuples(st.sampled_from(AUTHORS), TEXT, st.integers(1, 3000)), min_size=1, max_size=25
    ),
    style=st.sampled_from(["ios", "android"]),
    order=st.sampled_from(["dmy", "mdy", "ymd"]),
    separator=st.sampled_from(["/", ".", "-"]),
    year4=st.booleans(),
    clock=st.sampled_from(CLOCKS),
)
def test_written_chat_parses_back(
    messages: list[tuple[str, str, int]],
    style: str,
    order: str,
    separator: str,
    year4: bool,
    clock: str,
) -> None:
    moment = datetime(2021, 3, 13, 8, 0, 5)  # day 13: the date order is never ambiguous
    expected = []
    lines = []
    for author, text, gap_minutes in messages:
        moment += timedelta(minutes=gap_minutes)
        stamp = moment.replace(second=moment.second if style == "ios" else 0)
        expected.append((stamp, author, text))
        lines.append(f"{header(moment, style, order, separator, year4, clock)}{author}: {text}")
    chat = parse_lines(lines)
    assert [(m.time, m.author, m.text) for m in chat.messages] == expected
