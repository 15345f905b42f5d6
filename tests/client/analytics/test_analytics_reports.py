"""Report computations on small hand-built chats whose answers are known."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import msgspec
import pytest

from parley.client.analytics.model import Chat, Message, MessageKind
from parley.client.analytics.reports import activity, comparative, mood, people, replies, topics
from parley.client.analytics.reports.document import build_document

T0 = datetime(2024, 3, 4, 9, 0)  # a Monday


def msg(minutes: float, author: str | None, text: str = "hi", **kw: object) -> Message:
    return Message(time=T0 + timedelta(minutes=minutes), author=author, text=text, **kw)  # type: ignore[arg-type]


def chat(
    messages: list[Message], me: str | None = "Me", name: str = "c", group: bool = False
) -> Chat:
    return Chat(
        platform="whatsapp", name=name, source=name, messages=messages, me=me, is_group=group
    )


def test_reply_versus_new_conversation() -> None:
    c = chat(
        [
            msg(0, "Ann"),  # starts a conversation
            msg(5, "Me"),  # reply to Ann after 5 min
            msg(6, "Me"),  # same run: neither
            msg(16, "Ann"),  # reply to Me after 10 min
            msg(16 + 7 * 60, "Me"),  # 7 h later: new conversation, not a reply
            msg(16 + 7 * 60 + 1, "Ann", kind=MessageKind.SYSTEM),  # system lines are ignored
        ]
    )
    found, starts = replies.classify(c)
    assert [(r.message.author, r.to, r.delay) for r in found] == [
        ("Me", "Ann", timedelta(minutes=5)),
        ("Ann", "Me", timedelta(minutes=10)),
    ]
    assert starts == {"Ann": 1, "Me": 1}


def test_median_delay_per_contact_and_fastest_needs_three_replies() -> None:
    fast = chat(
        [
            msg(i * 60, "Ann") if k == 0 else msg(i * 60 + 2, "Me")
            for i in range(3)
            for k in range(2)
        ]
    )
    slow = chat([msg(i * 60, "Bob") if k == 0 else msg(i * 60 + d, "Me")
                 for i, d in enumerate((10, 30, 50)) for k in range(2)])  # fmt: skip
    once = chat([msg(0, "Cy"), msg(1, "Me")])
    result = replies.my_replies([fast, slow, once])
    delays = {row["name"]: row["median_delay_seconds"] for row in result["delay_per_contact"]}
    assert delays == {"Ann": 120.0, "Bob": 1800.0, "Cy": 60.0}
    assert result["fastest_replied"] == ["Ann", "Bob"]  # Cy has a single reply
    assert result["replies"] == 7
    assert result["reply_hours"][9] == 3
    assert result["usual_reply_hours"][0] in (9, 10, 11)


def test_streak_and_longest_silence() -> None:
    days = [date(2024, 1, d) for d in (1, 2, 3, 5, 6, 7, 8, 20)]
    assert activity.longest_streak(days) == {"days": 4, "start": "2024-01-05", "end": "2024-01-08"}
    assert activity.longest_streak([]) is None
    silence = activity.longest_silence([msg(0, "A"), msg(60, "B"), msg(60 * 25, "A")])
    assert silence == {"start": "2024-03-04T10:00:00", "end": "2024-03-05T10:00:00", "hours": 24.0}


def test_sleep_window_wraps_past_midnight() -> None:
    hours = [0] * 24
    for hour in [*range(8, 24), 0]:
        hours[hour] = 10
    assert activity.sleep_window(hours) == {"start_hour": 1, "end_hour": 8, "hours": 7}
    assert activity.sleep_window([5] * 24) is None


def test_work_window_is_weekday_quiet_that_weekends_are_not() -> None:
    messages = []
    for day in range(14):  # two weeks from Monday
        for hour in (8, 10, 12, 14, 16, 20):
            weekend = day % 7 >= 5
            if weekend or hour in (8, 20):
                messages.append(msg(day * 24 * 60 + (hour - 9) * 60, "Me"))
    work = activity.work_window(messages, None)
    assert work == {"start_hour": 10, "end_hour": 17, "hours": 7}


def test_mood_valence_months_and_trend() -> None:
    sad = [msg(0, "Me", "ugh 😢😢"), msg(1, "Me", "meh 😞")]
    happy = [msg(60 * 24 * 40, "Me", "yay 😂"), msg(60 * 24 * 70, "Me", "🥳 and 👍🏽")]
    result = mood.mood(sad + happy)
    assert [row["month"] for row in result["months"]] == ["2024-03", "2024-04", "2024-05"]
    assert result["months"][0]["mood"] == pytest.approx(-5 / 3, abs=1e-3)
    assert result["trend"] == "rising"
    assert result["top_emojis"][0] == {"emoji": "😢", "count": 2, "valence": -2}
    assert mood.valence("👍🏽") == 1  # skin tone ignored


def test_topics_prefer_words_distinctive_of_me() -> None:
    mine = [msg(i, "Me", "climbing tonight? the climbing gym") for i in range(3)]
    others = [msg(i, "Ann", "tonight we eat pasta tonight") for i in range(3)]
    words = [row["word"] for row in topics.favourite_topics(mine, others)]
    assert words[0] == "climbing"
    assert "tonight" not in words
    assert "the" not in words


def test_people_timeline_and_disappeared() -> None:
    c = chat([
        msg(0, "Ann"), msg(1, "Me"),
        msg(60 * 24 * 100, "Bob"),  # June
        msg(60 * 24 * 200, "Bob"), msg(60 * 24 * 201, "Me"),  # September
    ])  # fmt: skip
    result = people.timeline([c])
    assert result["people"] == [
        {"name": "Ann", "first_month": "2024-03", "last_month": "2024-03", "messages": 1},
        {"name": "Bob", "first_month": "2024-06", "last_month": "2024-09", "messages": 2},
    ]
    assert result["disappeared"] == ["Ann"]


def test_shared_groups_count_groups_with_me() -> None:
    g1 = chat([msg(0, "Me"), msg(1, "Ann"), msg(2, "Bob")], group=True, name="g1")
    g2 = chat([msg(0, "Me"), msg(1, "Ann")], group=True, name="g2")
    g3 = chat([msg(0, "Zed"), msg(1, "Ann"), msg(2, "Bob")], group=True, name="not mine")
    direct = chat([msg(0, "Me"), msg(1, "Bob")], name="direct")
    assert people.shared_groups([g1, g2, g3, direct]) == [
        {"name": "Ann", "groups": 2},
        {"name": "Bob", "groups": 1},
    ]


def test_anonymized_figures_carry_no_names_or_words_and_merge_by_weight() -> None:
    mine = [msg(i, "Me", "secret plan 😂") for i in range(150)]
    figures = comparative.anonymized_figures(mine)
    encoded = msgspec.json.encode(figures).decode()
    assert "secret" not in encoded
    assert "Me" not in encoded
    assert figures.messages == 100  # rounded down to a multiple of 100
    assert figures.emoji_share == {"😂": 1.0}
    other = comparative.Figures(
        contributors=3,
        messages=900,
        hour_share=[1 / 24] * 24,
        mean_length=20.0,
        emoji_share={"👍": 1.0},
    )
    merged = comparative.merge_figures([figures, other])
    assert merged.contributors == 4
    assert figures.mean_length == 13.0
    assert merged.mean_length == pytest.approx((13.0 + 3 * 20.0) / 4, abs=0.06)
    assert merged.emoji_share == {"👍": 0.75, "😂": 0.25}


def test_comparison_against_own_chats_without_aggregate() -> None:
    a = chat([msg(0, "Me", "short"), msg(1, "Ann")], name="a")
    b = chat([msg(0, "Me", "a much longer message"), msg(1, "Bob")], name="b")
    result = comparative.compare([a, b], None)
    assert result["baseline"] == "own-chats"
    assert [(row["chat"], row["mean_length"]) for row in result["chats"]] == [
        ("a", 5.0),
        ("b", 21.0),
    ]


def test_document_per_chat_fields() -> None:
    c = chat(
        [msg(0, None, "Ann created group", kind=MessageKind.SYSTEM), msg(1, "Ann"), msg(3, "Me")]
    )
    document = build_document([c])
    section = document["chats"][0]
    assert list(section)[:6] == [
        "platform",
        "messages",
        "system_messages",
        "participants",
        "first",
        "last",
    ]
    assert (section["messages"], section["system_messages"]) == (2, 1)
    assert section["participants"] == ["Ann", "Me"]
    assert (section["first"], section["last"]) == ("2024-03-04T09:00:00", "2024-03-04T09:03:00")
    assert document["you"]["messages"] == 1
