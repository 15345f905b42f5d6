"""Telegram Desktop "Export chat history" JSON (``result.json``) into :class:`Chat` objects.

Both shapes Telegram writes are read: one chat (``{"name", "type", "messages"}``) and
the whole account (``{"personal_information", "chats": {"list": [...]}}``), from the
2020 schema (integer ``from_id``, no ``date_unixtime``) to the current one (``"user123"``
ids, ``date_unixtime``, ``text_entities``).

The document is decoded by msgspec straight into the typed structs below: no tree of
dicts is built, unknown fields are skipped without being materialized, and a value of
the wrong shape is reported with its JSON path (``$.chats.list[3].messages[17].text``).
Telegram writes a chat as one JSON document, so there is no line to stream by; typed
decoding keeps memory near the size of the file plus the messages kept.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import msgspec

from parley.client.analytics.model import Attachment, Chat, ImportProblem, Message, MessageKind

Progress = Callable[[float], None]

GROUP_TYPES = frozenset({"private_group", "private_supergroup", "public_supergroup"})


class _Entity(msgspec.Struct):
    type: str = "plain"
    text: str = ""


class _Present(msgspec.Struct):
    """An object whose content the reports do not use, only its presence."""


class _Message(msgspec.Struct, kw_only=True):
    type: Literal["message", "service"]
    id: int | None = None
    date: str | None = None
    date_unixtime: str | int | None = None
    from_: str | None = msgspec.field(default=None, name="from")
    from_id: str | int | None = None
    actor: str | None = None
    actor_id: str | int | None = None
    action: str | None = None
    text: str | list[str | _Entity] = ""
    media_type: str | None = None
    photo: str | None = None
    file: str | None = None
    poll: _Present | None = None
    location_information: _Present | None = None
    contact_information: _Present | None = None
    duration_seconds: int | None = None
    edited: str | None = None


class _Chat(msgspec.Struct, kw_only=True):
    name: str | None = None
    type: str | None = None
    id: int | None = None
    messages: list[_Message] = msgspec.field(default_factory=list)


class _ChatList(msgspec.Struct, kw_only=True):
    chats: list[_Chat] = msgspec.field(default_factory=list, name="list")


class _Person(msgspec.Struct, kw_only=True):
    user_id: int | None = None
    first_name: str = ""
    last_name: str = ""


class _Export(msgspec.Struct, kw_only=True):
    """Either shape: a single chat's fields, or the account export's sections."""

    name: str | None = None
    type: str | None = None
    id: int | None = None
    messages: list[_Message] | None = None
    personal_information: _Person | None = None
    chats: _ChatList | None = None
    left_chats: _ChatList | None = None


_DECODER = msgspec.json.Decoder(_Export)
# "\xNN" is not JSON; older Telegram Desktop builds wrote control characters that way.
# Only rewrite a backslash that is itself unescaped (preceded by an even run of them).
_X_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})")
_RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def repair_escapes(data: bytes) -> tuple[bytes, int]:
    """Turn ``\\xNN`` escapes and raw control bytes into JSON ``\\u00NN``; count them."""
    repaired, count = data, 0
    if b"\\x" in data:  # the scan below is slow; most exports never need it
        repaired, count = _X_ESCAPE.subn(rb"\1\\u00\2", data)
    if _RAW_CONTROL.search(repaired):
        repaired, raw = _RAW_CONTROL.subn(lambda m: b"\\u%04x" % m.group()[0], repaired)
        count += raw
    return repaired, count


def read_telegram(path: Path, *, progress: Progress | None = None) -> list[Chat]:
    """Parse a Telegram Desktop JSON export; one :class:`Chat` per chat in it."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportProblem(
            "unreadable", source, "", f"cannot be read ({error.strerror or error})"
        ) from None
    if progress is not None:
        progress(0.3)
    if data.startswith(b"\xef\xbb\xbf"):  # a byte-order mark added by an editor
        data = data[3:]
    data, repaired = repair_escapes(data)
    # Decoding makes millions of acyclic objects; pausing the cyclic collector meanwhile
    # avoids its repeated full passes (see whatsapp.py).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _decode_and_convert(data, source, repaired, path.stem, progress)
    finally:
        if was_enabled:
            gc.enable()


def _decode_and_convert(
    data: bytes, source: str, repaired: int, stem: str, progress: Progress | None
) -> list[Chat]:
    try:
        export = _DECODER.decode(data)
    except msgspec.ValidationError as error:
        where, _, reason = _split_path(str(error))
        raise ImportProblem("bad-field", source, where, reason) from None
    except msgspec.DecodeError as error:
        raise ImportProblem("bad-json", source, _line_of(str(error), data), str(error)) from None
    if progress is not None:
        progress(0.7)
    me_ids: set[str] = set()
    me_name: str | None = None
    person = export.personal_information
    if person is not None:
        me_name = f"{person.first_name} {person.last_name}".strip() or None
        if person.user_id is not None:
            me_ids = {str(person.user_id), f"user{person.user_id}"}
    raw_chats: list[tuple[str, _Chat]] = []
    if export.messages is not None:
        raw_chats.append(
            ("$", _Chat(name=export.name, type=export.type, id=export.id, messages=export.messages))
        )
    for section, listing in (("chats", export.chats), ("left_chats", export.left_chats)):
        if listing is not None:
            raw_chats.extend(
                (f"$.{section}.list[{i}]", chat) for i, chat in enumerate(listing.chats)
            )
    if not raw_chats:
        raise ImportProblem(
            "no-messages",
            source,
            "$",
            "neither 'messages' nor 'chats.list' found: is this a Telegram result.json?",
        )
    chats = [_convert(raw, source, where, me_ids, me_name, stem) for where, raw in raw_chats]
    if repaired:
        chats[0].notes.append(f"repaired {repaired} invalid \\xNN escape(s) or control byte(s)")
    if progress is not None:
        progress(1.0)
    return chats


def _split_path(text: str) -> tuple[str, str, str]:
    reason, marker, path = text.rpartition(" - at `")
    if not marker:
        return "$", "", text
    return path.rstrip("`"), "", reason


def _line_of(message: str, data: bytes) -> str:
    found = re.search(r"\(byte (\d+)\)", message)
    if found is None:
        return ""
    offset = int(found.group(1))
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def _text(value: str | list[str | _Entity]) -> str:
    if isinstance(value, str):
        return value
    return "".join(part if isinstance(part, str) else part.text for part in value)


def _time(message: _Message, where: str, source: str) -> datetime:
    try:
        if message.date is not None:
            # The exporting computer's wall clock: what the user saw, no zone invented.
            moment = datetime.fromisoformat(message.date)
            return moment if moment.tzinfo is None else moment.replace(tzinfo=None)
        if message.date_unixtime is not None:
            # Only the instant is known: shown in UTC, as the export gives no zone.
            return datetime.fromtimestamp(int(message.date_unixtime), UTC).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError) as error:
        raise ImportProblem("bad-field", source, f"{where}.date", f"not a date ({error})") from None
    raise ImportProblem(
        "bad-field", source, where, "the message has neither 'date' nor 'date_unixtime'"
    )


def _convert(
    raw: _Chat, source: str, where: str, me_ids: set[str], me_name: str | None, stem: str
) -> Chat:
    messages: list[Message] = []
    actors: list[str] = []
    me: str | None = None
    for index, item in enumerate(raw.messages):
        when = _time(item, f"{where}.messages[{index}]", source)
        text = _text(item.text)
        if item.type == "service":
            author = item.actor
            if author is not None:
                actors.append(author)
            kind = (
                MessageKind.CALL
                if item.action in ("phone_call", "group_call")
                else MessageKind.SYSTEM
            )
            messages.append(
                Message(
                    time=when,
                    author=author,
                    text=text or (item.action or ""),
                    kind=kind,
                    duration_seconds=item.duration_seconds,
                )
            )
            continue
        # A deleted account has no name; Telegram itself shows "Deleted Account".
        author = item.from_ if item.from_ is not None else "Deleted Account"
        if me is None and me_ids and item.from_id is not None and str(item.from_id) in me_ids:
            me = author
        kind = MessageKind.TEXT
        attachments: tuple[Attachment, ...] = ()
        if item.poll is not None:
            kind = MessageKind.POLL
        elif item.photo is not None or item.file is not None or item.media_type is not None:
            kind = MessageKind.MEDIA
            attachments = (
                Attachment(
                    name=item.photo or item.file or "", media_type=item.media_type or "photo"
                ),
            )
        elif item.location_information is not None or item.contact_information is not None:
            kind = MessageKind.MEDIA
        messages.append(
            Message(
                time=when,
                author=author,
                text=text,
                kind=kind,
                attachments=attachments,
                edited=item.edited is not None,
                duration_seconds=item.duration_seconds,
            )
        )
    chat = Chat(
        platform="telegram",
        name=raw.name
        if raw.name is not None
        else ("Saved Messages" if raw.type == "saved_messages" else stem),
        source=source if where == "$" else f"{source}#{where}",
        messages=messages,
        is_group=raw.type in GROUP_TYPES,
        extra_participants=actors,
    )
    people = chat.participants
    if me is not None:
        chat.me, chat.me_source = me, "export"
    elif me_name is not None and me_name in people:
        chat.me, chat.me_source = me_name, "export"
    elif raw.type == "saved_messages" and people:
        chat.me, chat.me_source = people[0], "export"
    elif raw.type == "personal_chat" and raw.name in people and len(people) == 2:
        chat.me = next(name for name in people if name != raw.name)
        chat.me_source = "chat-name"
    return chat
