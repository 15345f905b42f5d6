"""The normalized model every importer produces, and the error every importer raises.

One shape for WhatsApp, Telegram and Parley exports lets the reports ignore where a chat
came from. Times are naive local times exactly as the export wrote them (an export
records wall-clock times of the exporting phone; inventing a zone would shift hours).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec


class MessageKind(StrEnum):
    TEXT = "text"
    MEDIA = "media"  # photo, video, voice note, sticker, file, or "<Media omitted>"
    DELETED = "deleted"
    POLL = "poll"
    CALL = "call"  # a call record (Telegram service "phone_call", WhatsApp missed calls)
    SYSTEM = "system"  # written by the app: encryption notices, joins, renames, pins


class Attachment(msgspec.Struct, frozen=True, kw_only=True):
    name: str  # file name as the export gives it ("" when the export omitted the file)
    media_type: str = ""  # "photo", "video_file", "sticker", ... when the export says


class Message(msgspec.Struct, kw_only=True, gc=False):
    """One line of chat history.

    ``author`` is None for system lines that name nobody. ``kind`` SYSTEM and CALL are
    app-written; every other kind counts as written by a person.
    """

    time: datetime
    author: str | None
    text: str
    kind: MessageKind = MessageKind.TEXT
    attachments: tuple[Attachment, ...] = ()
    edited: bool = False
    duration_seconds: int | None = None  # calls, voice notes, videos

    @property
    def by_person(self) -> bool:
        return self.kind is not MessageKind.SYSTEM and self.kind is not MessageKind.CALL


class Chat(msgspec.Struct, kw_only=True):
    """One conversation: a WhatsApp chat file, one Telegram chat, one Parley conversation.

    ``me`` is the name the user writes under in this chat, with ``me_source`` saying how
    it was decided ("option", "export", "deleted-marker", "chat-name", "most-frequent",
    or "" when nobody could be chosen). ``notes`` carries what the importer had to
    guess or repair, so the user sees it instead of silently wrong figures.
    """

    platform: str  # "whatsapp", "telegram", "parley"
    name: str
    source: str  # file the chat came from (and JSON path / zip member when relevant)
    messages: list[Message]
    is_group: bool = False
    me: str | None = None
    me_source: str = ""
    notes: list[str] = msgspec.field(default_factory=list)
    extra_participants: list[str] = msgspec.field(default_factory=list)

    @property
    def participants(self) -> list[str]:
        """Names that wrote a message (plus, for Telegram, service-action actors).

        In order of first appearance, as written in the export.
        """
        seen: dict[str, None] = {}
        for message in self.messages:
            if message.author is not None and message.by_person:
                seen.setdefault(message.author, None)
        for name in self.extra_participants:
            seen.setdefault(name, None)
        return list(seen)


class ImportProblem(Exception):
    """An export could not be read; says where (file and line, or JSON path) and why.

    ``code`` is stable for programs; ``str(problem)`` is the sentence for people.
    """

    def __init__(self, code: str, source: str, where: str, reason: str) -> None:
        self.code = code
        self.source = source
        self.where = where
        self.reason = reason
        location = f"{source}, {where}" if where else source
        super().__init__(f"{location}: {reason}")
