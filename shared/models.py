"""Domain objects shared by the server, its stores and the client.

They are msgspec structs so that the same object is what the store returns, what the
server encodes on the wire and what the client decodes: one shape, documented once in
docs/protocol.md. Times are timezone-aware UTC datetimes (RFC 3339 on the wire).
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum

import msgspec


class Role(StrEnum):
    USER = "user"
    MODERATOR = "moderator"
    ADMIN = "admin"


class PreModerationStatus(IntEnum):
    """Status of a first message held before the receiver may see it (seed values)."""

    UNSPECIFIED = 0
    PENDING = 1
    APPROVED = 2
    REJECTED = 3


class ModerationStatus(IntEnum):
    """Post-moderation status of a message; UNSPECIFIED means "not yet decided".

    The moderation worker's durable queue is exactly the messages still UNSPECIFIED.
    """

    UNSPECIFIED = 0
    APPROVED = 1
    FLAGGED = 2  # visible, shown with a warning
    HIDDEN = 3  # kept for review, not shown to the receiver
    REMOVED = 4  # removed by moderation; a placeholder remains
    IN_REVIEW = 5  # waiting for human reviewers


class User(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    username: str
    display_name: str
    role: Role = Role.USER


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """One chat message as a participant may see it.

    A message deleted for everyone or removed by moderation keeps its row but travels
    with ``text`` emptied and ``payload`` dropped, so clients can draw a placeholder.
    """

    id: int
    conversation_id: str
    sender_id: int
    receiver_id: int
    text: str
    sent_at: datetime
    client_message_id: str | None = None
    message_type: int = 0
    payload: str | None = None  # JSON text, at most 4000 characters
    deleted: bool = False
    unread: bool = True
    premoderation_status: PreModerationStatus = PreModerationStatus.UNSPECIFIED
    moderation_status: ModerationStatus = ModerationStatus.UNSPECIFIED


class MessagePreview(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    sender_id: int
    text: str  # at most PREVIEW_LENGTH characters; empty when deleted or removed
    sent_at: datetime
    deleted: bool = False
    moderation_status: ModerationStatus = ModerationStatus.UNSPECIFIED


class ConversationSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One user's side of a conversation (the seed's UserConversation row, joined)."""

    conversation_id: str
    other_user: User
    last_message: MessagePreview | None
    unread_count: int
    archived: bool = False
    pinned: bool = False
    hidden: bool = False
    initiated_by_user: bool = False
    blocked: bool = False  # this user has blocked the other one
    created_at: datetime


class ChatState(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the conversation list shows, at one version of the user's sequence."""

    version: int
    conversations: list[ConversationSummary]
    total_unread: int
    sending_blocked: bool = False


class SendMessageResult(msgspec.Struct, frozen=True, kw_only=True):
    """Outputs of SendMessage (seed: conversation id, message id, first, pre-moderation)."""

    message: Message
    is_first: bool
    duplicate: bool = False  # the client message id was already sent: nothing was written


class ChatStateDelta(msgspec.Struct, frozen=True, kw_only=True):
    """Conversations that changed between two versions of a user's chat state."""

    base_version: int
    version: int
    conversations: list[ConversationSummary]
    total_unread: int
    sending_blocked: bool = False
