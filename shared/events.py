"""Typed events raised after each committed change (the seed's event names).

Each event is addressed to one user and numbered in that user's monotonic sequence;
the store writes it in the same transaction as the change it describes, so a client
that reconnects can be replayed exactly what it missed (Zulip's event queues, made
durable). The same structs are the ``event`` field of the wire's ``event`` frame.
"""

from __future__ import annotations

import msgspec

from .models import Message, ModerationStatus, PreModerationStatus


class MessageSent(msgspec.Struct, frozen=True, kw_only=True, tag="MessageSent", tag_field="kind"):
    """To the sender (all their devices): the committed message."""

    message: Message


class MessageReceived(
    msgspec.Struct, frozen=True, kw_only=True, tag="MessageReceived", tag_field="kind"
):
    """To the receiver, once the message is visible to them."""

    message: Message


class ConversationChanged(
    msgspec.Struct, frozen=True, kw_only=True, tag="ConversationChanged", tag_field="kind"
):
    """To a user whose side of a conversation changed (unread, pin, archive, last message)."""

    conversation_id: str


class SendingBlockedForUser(
    msgspec.Struct, frozen=True, kw_only=True, tag="SendingBlockedForUser", tag_field="kind"
):
    blocked: bool
    reason: str = ""


class MessageDeleted(
    msgspec.Struct, frozen=True, kw_only=True, tag="MessageDeleted", tag_field="kind"
):
    message_id: int
    conversation_id: str
    for_everyone: bool


class MessageModerationStatusChanged(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    tag="MessageModerationStatusChanged",
    tag_field="kind",
):
    message_id: int
    conversation_id: str
    moderation_status: ModerationStatus
    premoderation_status: PreModerationStatus
    reason: str = ""


Event = (
    MessageSent
    | MessageReceived
    | ConversationChanged
    | SendingBlockedForUser
    | MessageDeleted
    | MessageModerationStatusChanged
)


class UserEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event addressed to one user, with its place in that user's sequence."""

    user_id: int
    seq: int
    event: Event


def conversation_of(event: Event) -> str | None:
    """The conversation an event touches, if any: what a chat-state delta must re-read."""
    if isinstance(event, MessageSent | MessageReceived):
        return event.message.conversation_id
    if isinstance(event, ConversationChanged | MessageDeleted | MessageModerationStatusChanged):
        return event.conversation_id
    return None
