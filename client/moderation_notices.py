"""What moderation did to a message, said plainly to the people it concerns.

Transparency to users is part of Parley's design: a sender is told when a message is
held, flagged or removed, and a receiver sees why a placeholder stands where a message
was. The sentences live here, once, for the bubbles, the status line and the tests.
"""

from __future__ import annotations

from parley.shared.models import Message, ModerationStatus, PreModerationStatus


def notice_for_sender(
    status: ModerationStatus, premoderation: PreModerationStatus, reason: str = ""
) -> str | None:
    """The sentence the sender of a message gets about its moderation, if any."""
    why = f" Reason: {reason}." if reason else ""
    if premoderation == PreModerationStatus.PENDING:
        return (
            "Your first message to this person is waiting for a moderator's approval; "
            "they will see it once it is approved."
        )
    if premoderation == PreModerationStatus.REJECTED:
        return f"A moderator did not approve your first message; it was not delivered.{why}"
    if status == ModerationStatus.FLAGGED:
        return f"Moderation flagged your message; the receiver sees it with a warning.{why}"
    if status in (ModerationStatus.HIDDEN, ModerationStatus.IN_REVIEW):
        return f"Your message is held for review by a moderator and is not shown yet.{why}"
    if status == ModerationStatus.REMOVED:
        return f"Moderation removed your message; the receiver no longer sees it.{why}"
    return None


def bubble_notice(message: Message, *, own: bool) -> str | None:
    """The short line under a bubble, for the sender or the receiver."""
    if own:
        if message.premoderation_status == PreModerationStatus.PENDING:
            return "Waiting for a moderator's approval before delivery"
        if message.premoderation_status == PreModerationStatus.REJECTED:
            return "Not delivered: a moderator did not approve it"
        if message.moderation_status == ModerationStatus.FLAGGED:
            return "Flagged by moderation: shown to the receiver with a warning"
        if message.moderation_status in (ModerationStatus.HIDDEN, ModerationStatus.IN_REVIEW):
            return "Held for review by a moderator: not shown yet"
        if message.moderation_status == ModerationStatus.REMOVED:
            return "Removed by moderation"
        return None
    if message.moderation_status == ModerationStatus.FLAGGED:
        return "Flagged by moderation as possibly offensive"
    return None


def placeholder_text(message: Message) -> str | None:
    """What stands in for a message whose text is gone; None when it has its text."""
    if message.moderation_status == ModerationStatus.REMOVED:
        return "This message was removed by moderation."
    if message.deleted:
        return "This message was deleted."
    return None
