"""Domain rules of conversations, free of I/O so they are tested without a database.

The stores (SQLite, SQL Server) and the server apply these rules; the SQL Server
procedures restate them in T-SQL, and the store contract suite checks both agree.
"""

from __future__ import annotations

import msgspec

from .errors import ErrorCode, ParleyError
from .models import Message, ModerationStatus, PreModerationStatus

MAX_TEXT_LENGTH = 1024  # the seed schema's nvarchar(1024); configurable on the server
MAX_PAYLOAD_LENGTH = 4000  # the seed schema's PayloadJson
PREVIEW_LENGTH = 120


def conversation_id(user_a: int, user_b: int) -> str:
    """The id of the conversation between two users, the same in both directions.

    Deterministic, so SendMessage needs no lookup to find it, and readable, so the
    participants can be checked without one (see :func:`participants`).
    """
    low, high = sorted((user_a, user_b))
    return f"{low}-{high}"


def participants(conversation: str) -> tuple[int, int]:
    """The two user ids of a conversation id; NOT_FOUND for anything malformed."""
    try:
        low_text, high_text = conversation.split("-")
        low, high = int(low_text), int(high_text)
    except ValueError:
        raise ParleyError(ErrorCode.NOT_FOUND, f"No conversation {conversation!r}.") from None
    if low <= 0 or low >= high or conversation != f"{low}-{high}":
        raise ParleyError(ErrorCode.NOT_FOUND, f"No conversation {conversation!r}.")
    return low, high


def other_participant(conversation: str, user_id: int) -> int:
    """The other user of a conversation, refusing anyone who is not one of the two.

    Answers NOT_FOUND rather than FORBIDDEN so a stranger learns nothing about which
    conversations exist.
    """
    low, high = participants(conversation)
    if user_id == low:
        return high
    if user_id == high:
        return low
    raise ParleyError(ErrorCode.NOT_FOUND, f"No conversation {conversation!r}.")


def premoderation_status_for(*, premoderate_first: bool, is_first: bool) -> PreModerationStatus:
    """Seed rule: pending when pre-moderation is required and the message is first."""
    if premoderate_first and is_first:
        return PreModerationStatus.PENDING
    return PreModerationStatus.UNSPECIFIED


def hidden_from_receiver(status: PreModerationStatus) -> bool:
    """Seed rule: hidden unless pre-moderation is unspecified or approved."""
    return status not in (PreModerationStatus.UNSPECIFIED, PreModerationStatus.APPROVED)


def visible_to(message: Message, user_id: int) -> bool:
    """Whether a participant may see a message at all (the sender always may)."""
    if user_id == message.sender_id:
        return True
    if user_id != message.receiver_id:
        return False
    if hidden_from_receiver(message.premoderation_status):
        return False
    return message.moderation_status not in (ModerationStatus.HIDDEN, ModerationStatus.IN_REVIEW)


def redacted(message: Message) -> Message:
    """The message as it travels: deleted or removed messages lose text and payload."""
    if message.deleted or message.moderation_status == ModerationStatus.REMOVED:
        return msgspec.structs.replace(message, text="", payload=None)
    return message


def validate_message_text(text: str, *, max_length: int = MAX_TEXT_LENGTH) -> None:
    """Refuse empty and over-long texts with a sentence the sender can act on."""
    if not text.strip():
        raise ParleyError(ErrorCode.EMPTY_MESSAGE, "A message needs some text.")
    if len(text) > max_length:
        raise ParleyError(
            ErrorCode.TEXT_TOO_LONG,
            f"The message has {len(text)} characters; the limit is {max_length}.",
        )


def validate_payload(payload: str | None) -> None:
    if payload is not None and len(payload) > MAX_PAYLOAD_LENGTH:
        raise ParleyError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"The payload has {len(payload)} characters; the limit is {MAX_PAYLOAD_LENGTH}.",
        )
