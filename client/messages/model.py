"""The messages of one conversation as a Qt model: confirmed, then still sending.

Rows are the messages the server confirmed, ordered by server id (the order they were
committed), followed by the user's own messages still in the outbox. A confirmed
message that carries the ``client_message_id`` of an outbox row replaces that row, so
the bubble the user saw while sending is the bubble that stays.

All loaded messages are kept, but the view is shown a window of at most
:data:`WINDOW` rows ending at the newest: Qt's item views lay out every row they are
given, so a conversation the user scrolled back 100,000 messages in would make every
new message cost a full relayout. Scrolling to the top first widens the window over
what is already loaded and only then asks the server for an older page.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from enum import IntEnum
from typing import Any

import msgspec

from parley.shared.models import Message, ModerationStatus, PreModerationStatus

from ..outbox import DeliveryState, OutboxEntry
from ..qt import QtCore, Signal

WINDOW = 1000  # rows the view is given at most when following the newest message
REVEAL_STEP = 100  # rows uncovered per scroll to the top

_NO_PARENT = QtCore.QModelIndex()


class Role(IntEnum):
    ITEM = QtCore.Qt.ItemDataRole.UserRole + 1  # Message or OutboxEntry
    OWN = QtCore.Qt.ItemDataRole.UserRole + 2
    MESSAGE_ID = QtCore.Qt.ItemDataRole.UserRole + 3  # None while sending


class MessageListModel(QtCore.QAbstractListModel):
    """See the module docstring; ``own_user_id`` decides which side a bubble goes."""

    older_needed = Signal()  # the window reached the oldest loaded message

    def __init__(
        self, conversation_id: str, own_user_id: int, parent: QtCore.QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.conversation_id = conversation_id
        self.own_user_id = own_user_id
        self._ids: list[int] = []
        self._messages: list[Message] = []
        self._pending: list[OutboxEntry] = []
        self._start = 0  # index in _messages of the first row shown
        self.has_more = True  # the server may hold older messages than _messages[0]
        self.loaded = False  # the first history page arrived

    # --- reading --------------------------------------------------------------------

    def rowCount(
        self, parent: QtCore.QModelIndex | QtCore.QPersistentModelIndex = _NO_PARENT
    ) -> int:
        if parent.isValid():
            return 0
        return len(self._messages) - self._start + len(self._pending)

    def data(self, index: QtCore.QModelIndex | QtCore.QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        item = self.item_at(index.row())
        if role == Role.ITEM:
            return item
        if role == Role.OWN:
            return isinstance(item, OutboxEntry) or item.sender_id == self.own_user_id
        if role == Role.MESSAGE_ID:
            return item.id if isinstance(item, Message) else None
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return item.text
        return None

    def item_at(self, row: int) -> Message | OutboxEntry:
        shown = len(self._messages) - self._start
        if row < shown:
            return self._messages[self._start + row]
        return self._pending[row - shown]

    def message(self, message_id: int) -> Message | None:
        position = self._position(message_id)
        return None if position is None else self._messages[position]

    def row_of_message(self, message_id: int) -> int | None:
        position = self._position(message_id)
        if position is None or position < self._start:
            return None
        return position - self._start

    def row_of_pending(self, client_message_id: str) -> int | None:
        for offset, entry in enumerate(self._pending):
            if entry.client_message_id == client_message_id:
                return len(self._messages) - self._start + offset
        return None

    def messages(self) -> list[Message]:
        """Every loaded confirmed message, oldest first (shown or not)."""
        return list(self._messages)

    def pending(self) -> list[OutboxEntry]:
        return list(self._pending)

    @property
    def oldest_id(self) -> int | None:
        return self._ids[0] if self._ids else None

    @property
    def newest_id(self) -> int | None:
        return self._ids[-1] if self._ids else None

    # --- changes ----------------------------------------------------------------------

    def add_messages(self, messages: Iterable[Message], *, follow: bool = True) -> None:
        """New messages (live or replayed); those already present are updated instead.

        ``follow`` means the user is at the bottom: the window then slides so that it
        stays at most :data:`WINDOW` rows long.
        """
        batch = {m.id: m for m in messages if m.conversation_id == self.conversation_id}
        appended: list[Message] = []
        for message in sorted(batch.values(), key=lambda m: m.id):
            self._drop_pending(message.client_message_id, message.sender_id)
            position = self._position(message.id)
            if position is not None:
                self._replace(position, message)
            elif appended or not self._ids or message.id > self._ids[-1]:
                appended.append(message)
            else:
                self._insert_sorted(message)
        if appended:
            first = len(self._messages) - self._start
            self.beginInsertRows(_NO_PARENT, first, first + len(appended) - 1)
            self._messages.extend(appended)
            self._ids.extend(m.id for m in appended)
            self.endInsertRows()
        if follow:
            self._trim_window()

    def add_history_page(self, newest_first: list[Message], *, has_more: bool) -> None:
        """An older page from the server, prepended above the oldest loaded message."""
        self.loaded = True
        self.has_more = has_more
        older = [
            m
            for m in reversed(newest_first)
            if m.conversation_id == self.conversation_id and self._position(m.id) is None
        ]
        if not older:
            return
        if self._ids and older[-1].id > self._ids[0]:
            # Overlaps what we have (a reload after a long gap): merge one by one.
            for message in older:
                self._insert_sorted(message)
            return
        self.beginInsertRows(_NO_PARENT, 0, len(older) - 1)
        self._messages[0:0] = older
        self._ids[0:0] = [m.id for m in older]
        self.endInsertRows()

    def reveal_older(self) -> bool:
        """Widen the window over loaded messages; False when none are left to uncover."""
        if self._start == 0:
            if self.has_more:
                self.older_needed.emit()
            return False
        count = min(REVEAL_STEP, self._start)
        self.beginInsertRows(_NO_PARENT, 0, count - 1)
        self._start -= count
        self.endInsertRows()
        return True

    def add_pending(self, entry: OutboxEntry) -> None:
        if self.row_of_pending(entry.client_message_id) is not None:
            return
        row = self.rowCount()
        self.beginInsertRows(_NO_PARENT, row, row)
        self._pending.append(entry)
        self.endInsertRows()

    def pending_changed(self, client_message_id: str) -> None:
        """The entry's delivery state or error changed (it is the same object)."""
        row = self.row_of_pending(client_message_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index)

    def remove_pending(self, client_message_id: str) -> None:
        row = self.row_of_pending(client_message_id)
        if row is not None:
            self.beginRemoveRows(_NO_PARENT, row, row)
            shown = len(self._messages) - self._start
            del self._pending[row - shown]
            self.endRemoveRows()

    def apply_deleted(self, message_id: int, *, for_everyone: bool) -> None:
        """Deleted for everyone: a placeholder stays; for me: the row goes."""
        position = self._position(message_id)
        if position is None:
            return
        if for_everyone:
            old = self._messages[position]
            self._replace(
                position, msgspec.structs.replace(old, deleted=True, text="", payload=None)
            )
            return
        row = position - self._start
        if row >= 0:
            self.beginRemoveRows(_NO_PARENT, row, row)
        else:
            self._start -= 1
        del self._messages[position]
        del self._ids[position]
        if row >= 0:
            self.endRemoveRows()

    def apply_moderation(
        self,
        message_id: int,
        moderation_status: ModerationStatus,
        premoderation_status: PreModerationStatus,
    ) -> Message | None:
        """Record a moderation decision on a loaded message; the updated message."""
        position = self._position(message_id)
        if position is None:
            return None
        old = self._messages[position]
        new = msgspec.structs.replace(
            old,
            moderation_status=moderation_status,
            premoderation_status=premoderation_status,
        )
        if moderation_status == ModerationStatus.REMOVED:
            new = msgspec.structs.replace(new, text="", payload=None)
        self._replace(position, new)
        return new

    def mark_read_by_peer(self, up_to_id: int) -> None:
        """The other user read our messages up to an id: their ticks turn double."""
        end = bisect.bisect_right(self._ids, up_to_id)
        for position in range(end - 1, -1, -1):
            message = self._messages[position]
            if message.sender_id == self.own_user_id:
                if not message.unread:
                    break
                self._replace(position, msgspec.structs.replace(message, unread=False))

    def reset_history(self) -> None:
        """Forget confirmed messages (a resume failed); outbox rows stay."""
        self.beginResetModel()
        self._messages, self._ids, self._start = [], [], 0
        self.has_more, self.loaded = True, False
        self.endResetModel()

    # --- internals --------------------------------------------------------------------

    def _position(self, message_id: int) -> int | None:
        position = bisect.bisect_left(self._ids, message_id)
        if position < len(self._ids) and self._ids[position] == message_id:
            return position
        return None

    def _replace(self, position: int, message: Message) -> None:
        self._messages[position] = message
        row = position - self._start
        if row >= 0:
            index = self.index(row)
            self.dataChanged.emit(index, index)

    def _insert_sorted(self, message: Message) -> None:
        position = bisect.bisect_left(self._ids, message.id)
        if position < self._start:
            # Above the window: loaded, not shown until revealed.
            self._messages.insert(position, message)
            self._ids.insert(position, message.id)
            self._start += 1
            return
        row = position - self._start
        self.beginInsertRows(_NO_PARENT, row, row)
        self._messages.insert(position, message)
        self._ids.insert(position, message.id)
        self.endInsertRows()

    def _drop_pending(self, client_message_id: str | None, sender_id: int) -> None:
        if client_message_id and sender_id == self.own_user_id:
            self.remove_pending(client_message_id)

    def _trim_window(self) -> None:
        excess = len(self._messages) - self._start - WINDOW
        if excess > 0:
            self.beginRemoveRows(_NO_PARENT, 0, excess - 1)
            self._start += excess
            self.endRemoveRows()


def delivery_state(item: Message | OutboxEntry) -> str:
    """ "sending", "failed", "sent" or "read" for an own message's tick."""
    if isinstance(item, OutboxEntry):
        return "failed" if item.state is DeliveryState.FAILED else "sending"
    return "sent" if item.unread else "read"
