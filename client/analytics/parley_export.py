"""A Parley "download my data" export (parley.shared.data_export) into :class:`Chat` objects.

One chat per one-to-one conversation. The export stores UTC instants; they are shown in
the zone the export names (the user's own clock when they asked for it), else in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from parley.client.analytics.model import Attachment, Chat, ImportProblem, Message, MessageKind
from parley.shared.data_export import DATA_EXPORT_FORMAT, DataExport, decode_data_export

Progress = Callable[[float], None]
NEWLINE = b"\n"


def looks_like_parley_export(head: bytes) -> bool:
    return DATA_EXPORT_FORMAT.encode() in head


def read_parley_export(path: Path, *, progress: Progress | None = None) -> list[Chat]:
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportProblem(
            "unreadable", source, "", f"cannot be read ({error.strerror or error})"
        ) from None
    try:
        export = decode_data_export(data)
    except msgspec.ValidationError as error:
        reason, _, where = str(error).rpartition(" - at `")
        raise ImportProblem(
            "bad-field", source, where.rstrip("`") or "$", reason or str(error)
        ) from None
    except msgspec.DecodeError as error:
        found = re.search(r"\(byte (\d+)\)", str(error))
        where = ""
        if found is not None:
            where = f"line {data.count(NEWLINE, 0, int(found.group(1))) + 1}"
        raise ImportProblem("bad-json", source, where, str(error)) from None
    try:
        chats = convert(export, source)
    except (OverflowError, ValueError) as error:  # instants beyond what the zone can show
        raise ImportProblem("bad-field", source, "$", f"a time cannot be shown ({error})") from None
    if progress is not None:
        progress(1.0)
    return chats


def convert(export: DataExport, source: str) -> list[Chat]:
    zone: tzinfo = UTC
    notes: list[str] = []
    if export.time_zone:
        try:
            zone = ZoneInfo(export.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            notes.append(f"unknown time zone {export.time_zone!r}; times shown in UTC")

    def local(moment: datetime) -> datetime:
        return moment.astimezone(zone).replace(tzinfo=None)

    me = export.user.display_name
    chats: list[Chat] = []
    for index, conversation in enumerate(export.conversations):
        names = {
            export.user.id: me,
            conversation.other_user.id: conversation.other_user.display_name,
        }
        messages: list[Message] = []
        for item in conversation.messages:
            kind = MessageKind.TEXT
            if item.deleted:
                kind = MessageKind.DELETED
            elif item.has_attachment:
                kind = MessageKind.MEDIA
            messages.append(
                Message(
                    time=local(item.sent_at),
                    author=names.get(item.sender_id, str(item.sender_id)),
                    text="" if item.deleted else item.text,
                    kind=kind,
                    attachments=(Attachment(name=""),) if item.has_attachment else (),
                    edited=item.edited,
                )
            )
        messages.sort(key=lambda message: message.time)
        chat = Chat(
            platform="parley",
            name=conversation.other_user.display_name,
            source=f"{source}#$.conversations[{index}]",
            messages=messages,
            me=me,
            me_source="export",
        )
        chat.notes.extend(notes)
        chats.append(chat)
    return chats
