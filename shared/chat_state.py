"""What a chat-state snapshot contains and how deltas move it, without I/O.

The invariant the tests hold (Zulip's ``verify_action``): applying the deltas a server
pushed to the snapshot a client started from gives the snapshot the server would send
now.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import msgspec

from .conversations import PREVIEW_LENGTH, redacted
from .models import (
    ChatState,
    ChatStateDelta,
    ConversationSummary,
    Message,
    MessagePreview,
    ModerationStatus,
    PreModerationStatus,
)

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


# --- deltas without a read ------------------------------------------------------------
# A new message is by far the most frequent change, and its effect on a side is fully
# determined by the seed's SendMessage rules: the stream applies them to the side it
# already knows instead of reading it back. Anything less certain returns None and the
# caller reads the side from the store.


def preview_of(message: Message) -> MessagePreview:
    """The conversation-list preview of a message, as the stores build it."""
    shown = redacted(message)
    return MessagePreview(
        id=shown.id,
        sender_id=shown.sender_id,
        text=shown.text[:PREVIEW_LENGTH],
        sent_at=shown.sent_at,
        deleted=shown.deleted,
        moderation_status=shown.moderation_status,
    )


def _newer(summary: ConversationSummary, message: Message) -> bool:
    return summary.last_message is None or message.id > summary.last_message.id


def _fresh(message: Message) -> bool:
    """Just sent and shown as is: no moderation decision, no deletion yet."""
    return (
        message.premoderation_status == PreModerationStatus.UNSPECIFIED
        and message.moderation_status == ModerationStatus.UNSPECIFIED
        and not message.deleted
    )


def after_message_sent(
    summary: ConversationSummary, message: Message
) -> ConversationSummary | None:
    """The sender's side after SendMessage: last message set, un-archived."""
    if not _newer(summary, message) or message.sender_id == summary.other_user.id:
        return None
    return msgspec.structs.replace(summary, last_message=preview_of(message), archived=False)


def after_message_received(
    summary: ConversationSummary, message: Message
) -> ConversationSummary | None:
    """The receiver's side after SendMessage of a visible message: last message set, one
    more unread, un-archived, and no longer hidden."""
    if (
        not _fresh(message)
        or not _newer(summary, message)
        or message.sender_id != summary.other_user.id
    ):
        return None
    return msgspec.structs.replace(
        summary,
        last_message=preview_of(message),
        unread_count=summary.unread_count + 1,
        archived=False,
        hidden=False,
    )
