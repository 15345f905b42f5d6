"""What a chat-state snapshot contains and how deltas move it, without I/O.

The invariant the tests hold (Zulip's ``verify_action``): applying the deltas a server
pushed to the snapshot a client started from gives the snapshot the server would send
now.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import msgspec

from .models import ChatState, ChatStateDelta, ConversationSummary

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def sort_key(summary: ConversationSummary) -> tuple[int, float, str]:
    """Pinned first, then the latest message first; ties broken by id for stability."""
    last = summary.last_message.sent_at if summary.last_message else summary.created_at
    return (0 if summary.pinned else 1, -(last - _EPOCH).total_seconds(), summary.conversation_id)


def ordered(conversations: Iterable[ConversationSummary]) -> list[ConversationSummary]:
    return sorted(conversations, key=sort_key)


def total_unread(conversations: Iterable[ConversationSummary]) -> int:
    """Unread messages the user can see: hidden conversations do not count."""
    return sum(c.unread_count for c in conversations if not c.hidden)


def build_state(
    version: int, conversations: Iterable[ConversationSummary], *, sending_blocked: bool = False
) -> ChatState:
    items = ordered(conversations)
    return ChatState(
        version=version,
        conversations=items,
        total_unread=total_unread(items),
        sending_blocked=sending_blocked,
    )


def make_delta(
    base_version: int,
    version: int,
    changed: Iterable[ConversationSummary],
    *,
    total: int,
    sending_blocked: bool = False,
) -> ChatStateDelta:
    return ChatStateDelta(
        base_version=base_version,
        version=version,
        conversations=ordered(changed),
        total_unread=total,
        sending_blocked=sending_blocked,
    )


class DeltaGap(Exception):
    """The delta does not start at the state's version: the client must resync."""


def apply_delta(state: ChatState, delta: ChatStateDelta) -> ChatState:
    """The state after a delta; raises DeltaGap when the versions do not chain."""
    if delta.base_version != state.version:
        raise DeltaGap(f"delta from {delta.base_version} does not apply to {state.version}")
    by_id = {c.conversation_id: c for c in state.conversations}
    for changed in delta.conversations:
        by_id[changed.conversation_id] = changed
    items = ordered(by_id.values())
    return msgspec.structs.replace(
        state,
        version=delta.version,
        conversations=items,
        total_unread=delta.total_unread,
        sending_blocked=delta.sending_blocked,
    )
