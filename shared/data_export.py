"""The "download my data" document: everything Parley holds about one user's messages.

It exists for the user's right of access: the server produces it on request, the user
keeps it, and ``parley analytics`` reads it like any other chat export. It is plain
JSON (msgspec structs below), versioned by ``version``: a reader accepts the versions it
knows and refuses the rest with a clear message instead of guessing. Documented field
by field in docs/analytics.md.

Pure: no I/O here; ``encode_data_export``/``decode_data_export`` are the only codec.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

import msgspec

DATA_EXPORT_FORMAT: Final = "parley.data-export"
DATA_EXPORT_VERSION: Final = 1


class ExportedUser(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    id: int
    username: str
    display_name: str


class ExportedMessage(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One message of the conversation, as its participants could see it.

    A message deleted for everyone keeps its place with ``deleted`` true and empty text,
    so counts and reply times stay right while the content stays gone.
    """

    id: int
    sender_id: int
    sent_at: datetime  # timezone-aware UTC
    text: str
    message_type: int = 0  # 0 text; other values as in parley.shared.models.Message
    deleted: bool = False
    edited: bool = False
    has_attachment: bool = False


class ExportedConversation(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    conversation_id: str
    other_user: ExportedUser
    created_at: datetime
    messages: list[ExportedMessage]


class DataExport(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The whole document. ``time_zone`` is the IANA zone the user's client reported
    when asking for the export (readers show local times in it); None means UTC."""

    format: Literal["parley.data-export"] = DATA_EXPORT_FORMAT
    version: int = DATA_EXPORT_VERSION
    exported_at: datetime
    user: ExportedUser
    time_zone: str | None = None
    conversations: list[ExportedConversation]


def encode_data_export(export: DataExport) -> bytes:
    return msgspec.json.encode(export)


def decode_data_export(data: bytes) -> DataExport:
    """Decode and check the version; raises msgspec.ValidationError with the JSON path."""
    export = msgspec.json.decode(data, type=DataExport)
    if export.version != DATA_EXPORT_VERSION:
        raise msgspec.ValidationError(
            f"unsupported data export version {export.version} (this reader knows "
            f"{DATA_EXPORT_VERSION}) - at `$.version`"
        )
    return export
