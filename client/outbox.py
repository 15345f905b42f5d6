"""Messages the user wrote that the server has not acknowledged yet, kept on disk.

Each entry keeps the ``client_message_id`` chosen when the user pressed Enter; the
server's SendMessage is idempotent on it, so re-sending after a reconnect or a restart
never duplicates a message, even when the first attempt did commit and only its ack
was lost. Entries leave the outbox only on an ack; a refusal (text too long, blocked)
marks them failed so the user can retry or discard them.
"""

from __future__ import annotations

import logging
import os
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import msgspec

log = logging.getLogger(__name__)


class DeliveryState(StrEnum):
    SENDING = "sending"
    FAILED = "failed"


class OutboxEntry(msgspec.Struct, kw_only=True):
    client_message_id: str
    conversation_id: str
    to: int
    text: str
    created_at: datetime
    state: DeliveryState = DeliveryState.SENDING
    error_code: str = ""
    error_message: str = ""


def new_client_message_id() -> str:
    return uuid.uuid4().hex


class Outbox:
    """An ordered, persisted list of unacknowledged messages (one file per account)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._entries: dict[str, OutboxEntry] = {}
        self._load()

    def add(self, *, conversation_id: str, to: int, text: str) -> OutboxEntry:
        entry = OutboxEntry(
            client_message_id=new_client_message_id(),
            conversation_id=conversation_id,
            to=to,
            text=text,
            created_at=datetime.now(UTC),
        )
        self._entries[entry.client_message_id] = entry
        self._save()
        return entry

    def get(self, client_message_id: str) -> OutboxEntry | None:
        return self._entries.get(client_message_id)

    def entries(self, conversation_id: str | None = None) -> list[OutboxEntry]:
        """In the order they were written, which is the order they are re-sent."""
        return [
            e
            for e in self._entries.values()
            if conversation_id is None or e.conversation_id == conversation_id
        ]

    def pending(self) -> list[OutboxEntry]:
        return [e for e in self._entries.values() if e.state is DeliveryState.SENDING]

    def acknowledge(self, client_message_id: str) -> OutboxEntry | None:
        entry = self._entries.pop(client_message_id, None)
        if entry is not None:
            self._save()
        return entry

    def mark_failed(self, client_message_id: str, code: str, message: str) -> OutboxEntry | None:
        entry = self._entries.get(client_message_id)
        if entry is not None:
            entry.state = DeliveryState.FAILED
            entry.error_code = code
            entry.error_message = message
            self._save()
        return entry

    def retry(self, client_message_id: str) -> OutboxEntry | None:
        """Back to sending, with the same id: a retry must stay idempotent."""
        entry = self._entries.get(client_message_id)
        if entry is not None:
            entry.state = DeliveryState.SENDING
            entry.error_code = entry.error_message = ""
            self._save()
        return entry

    def __len__(self) -> int:
        return len(self._entries)

    def _load(self) -> None:
        try:
            raw = self._path.read_bytes()
        except FileNotFoundError:
            return
        try:
            entries = msgspec.json.decode(raw, type=list[OutboxEntry])
        except (msgspec.DecodeError, msgspec.ValidationError):
            # Keep the unreadable file for the user to inspect; never overwrite it.
            broken = self._path.with_suffix(".broken")
            log.error("Unreadable outbox %s moved to %s", self._path, broken)
            os.replace(self._path, broken)
            return
        self._entries = {e.client_message_id: e for e in entries}

    def _save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(msgspec.json.encode(list(self._entries.values())))
        os.replace(tmp, self._path)
