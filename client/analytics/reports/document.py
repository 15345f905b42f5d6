"""The whole analytics document: per-chat facts and reports, then reports about you.

This is exactly what ``parley analytics --format json`` prints and what the window and
the HTML report draw; every field is described in docs/analytics.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from parley.client.analytics.model import Chat, Message
from parley.client.analytics.reports import activity, comparative, mood, people, replies, topics

DOCUMENT_VERSION = 1
LOCAL_ONLY = "Computed on this machine; nothing was sent anywhere."


def _when(message: Message) -> datetime:
    return message.time


def chat_section(chat: Chat) -> dict[str, Any]:
    written = activity.people_messages(chat)
    system = sum(1 for m in chat.messages if not m.by_person)
    everything = sorted(chat.messages, key=_when)
    mine = [m for m in written if m.author == chat.me]
    chat_replies = replies.my_replies([chat])
    return {
        "platform": chat.platform,
        "messages": len(written),
        "system_messages": system,
        "participants": chat.participants,
        "first": everything[0].time.isoformat() if everything else None,
        "last": everything[-1].time.isoformat() if everything else None,
        "name": chat.name,
        "source": chat.source,
        "is_group": chat.is_group or len(chat.participants) > 2,
        "me": chat.me,
        "me_source": chat.me_source,
        "notes": chat.notes,
        "counts": activity.chat_counts(chat),
        "first_message": activity.excerpt(min(written, key=_when)) if written else None,
        "last_message": activity.excerpt(max(written, key=_when)) if written else None,
        "streak": activity.longest_streak(m.time.date() for m in written),
        "my_streak": activity.longest_streak(m.time.date() for m in mine),
        "longest_silence": activity.longest_silence(written),
        "hours": activity.hour_histogram(written),
        "replies": {
            key: chat_replies[key]
            for key in (
                "replies",
                "usual_reply_hours",
                "delay_per_contact",
                "conversations_started",
            )
        },
    }


def you_section(chats: Sequence[Chat]) -> dict[str, Any]:
    mine = comparative.my_messages(chats)
    others = [m for chat in chats for m in activity.people_messages(chat) if m.author != chat.me]
    hours = activity.hour_histogram(mine)
    sleep = activity.sleep_window(hours)
    names = sorted({chat.me for chat in chats if chat.me is not None})
    return {
        "names": names,
        "messages": len(mine),
        "first_message": activity.excerpt(min(mine, key=_when)) if mine else None,
        "last_message": activity.excerpt(max(mine, key=_when)) if mine else None,
        "streak": activity.longest_streak(m.time.date() for m in mine),
        "longest_silence": activity.longest_silence(mine),
        "hours": hours,
        "weekdays": activity.weekday_histogram(mine),
        "sleep": sleep,
        "work": activity.work_window(mine, sleep),
        "replies": replies.my_replies(chats),
        "mood": mood.mood(mine),
        "topics": topics.favourite_topics(mine, others),
        "people": people.timeline(chats),
        "shared_groups": people.shared_groups(chats),
    }


def build_document(
    chats: Sequence[Chat], aggregate: comparative.Figures | None = None
) -> dict[str, Any]:
    return {
        "version": DOCUMENT_VERSION,
        "computed_locally": LOCAL_ONLY,
        "chats": [chat_section(chat) for chat in chats],
        "you": you_section(chats),
        "comparison": comparative.compare(chats, aggregate),
    }
