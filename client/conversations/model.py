"""The conversation list as a Qt model, fed by chat-state snapshots and deltas.

Rows are laid out as the user sees them: visible conversations (pinned first, then by
last message, the order of :func:`parley.shared.chat_state.sort_key`), then an
"Archived" header row when anything is archived, then the archived conversations when
that section is expanded. Hidden conversations are kept but get no row.

A delta touches a few conversations, so it inserts, removes or changes just the rows
concerned (``beginInsertRows``/``beginRemoveRows``/``dataChanged``, never a reset):
the view keeps its scroll position and repaints what is visible, however long the
list is. A
snapshot replaces everything with one reset, unless it differs from what is shown in
only a few rows, in which case it is applied like a delta.
"""

from __future__ import annotations

import bisect
import itertools
from enum import IntEnum
from typing import Any

from parley.shared.chat_state import sort_key
from parley.shared.models import ChatState, ChatStateDelta, ConversationSummary

from ..qt import QtCore, Signal

SortKey = tuple[int, float, str]

_NO_PARENT = QtCore.QModelIndex()

# A snapshot that changes more rows than this is applied with one model reset.
INCREMENTAL_SNAPSHOT_LIMIT = 64


class Role(IntEnum):
    SUMMARY = QtCore.Qt.ItemDataRole.UserRole + 1  # ConversationSummary, None for the header
    KIND = QtCore.Qt.ItemDataRole.UserRole + 2  # RowKind
    ARCHIVED_COUNT = QtCore.Qt.ItemDataRole.UserRole + 3
    ARCHIVED_UNREAD = QtCore.Qt.ItemDataRole.UserRole + 4
    EXPANDED = QtCore.Qt.ItemDataRole.UserRole + 5
    CONVERSATION_ID = QtCore.Qt.ItemDataRole.UserRole + 6


class RowKind(IntEnum):
    CONVERSATION = 0
    ARCHIVED_HEADER = 1


class _Segment:
    """One sorted run of rows (the main list, or the archived list)."""

    def __init__(self) -> None:
        self.keys: list[SortKey] = []
        self.items: list[ConversationSummary] = []

    def index_of(self, summary: ConversationSummary) -> int:
        return bisect.bisect_left(self.keys, sort_key(summary))

    def position_for(self, key: SortKey) -> int:
        return bisect.bisect_left(self.keys, key)

    def insert(self, index: int, summary: ConversationSummary) -> None:
        self.keys.insert(index, sort_key(summary))
        self.items.insert(index, summary)

    def pop(self, index: int) -> ConversationSummary:
        self.keys.pop(index)
        return self.items.pop(index)

    def reset(self, items: list[ConversationSummary]) -> None:
        """Take items that are usually in order already (the server sends them so)."""
        keys = [sort_key(s) for s in items]
        if all(a < b for a, b in itertools.pairwise(keys)):
            self.items, self.keys = list(items), keys
            return
        pairs = sorted(zip(keys, items, strict=True), key=lambda pair: pair[0])
        self.keys = [key for key, _ in pairs]
        self.items = [item for _, item in pairs]

    def __len__(self) -> int:
        return len(self.items)


_MAIN, _ARCHIVED, _HIDDEN = "main", "archived", "hidden"


def _segment_name(summary: ConversationSummary) -> str:
    if summary.hidden:
        return _HIDDEN
    return _ARCHIVED if summary.archived else _MAIN


class ConversationListModel(QtCore.QAbstractListModel):
    """Rows of the conversation list; see the module docstring for their layout."""

    total_unread_changed = Signal(int)
    sending_blocked_changed = Signal(bool)
    conversation_changed = Signal(object)  # ConversationSummary, after any update

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._main = _Segment()
        self._archived = _Segment()
        self._hidden: dict[str, ConversationSummary] = {}
        self._by_id: dict[str, ConversationSummary] = {}
        self._header = False
        self._expanded = False
        self.version: int | None = None
        self.total_unread = 0
        self.sending_blocked = False

    # --- reading --------------------------------------------------------------------

    def rowCount(
        self, parent: QtCore.QModelIndex | QtCore.QPersistentModelIndex = _NO_PARENT
    ) -> int:
        # Called once per row on every relayout (QAbstractListModel.index checks it),
        # so it only adds list lengths.
        if parent.isValid():
            return 0
        archived = len(self._archived.items) if self._expanded else 0
        return len(self._main.items) + self._header + archived

    def data(self, index: QtCore.QModelIndex | QtCore.QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        row = index.row()
        summary = self.summary_at(row)
        if role == Role.KIND:
            return RowKind.CONVERSATION if summary is not None else RowKind.ARCHIVED_HEADER
        if summary is None:
            if role == Role.ARCHIVED_COUNT:
                return len(self._archived)
            if role == Role.ARCHIVED_UNREAD:
                return sum(s.unread_count for s in self._archived.items)
            if role == Role.EXPANDED:
                return self._expanded
            if role == QtCore.Qt.ItemDataRole.DisplayRole:
                return "Archived"
            return None
        if role == Role.SUMMARY:
            return summary
        if role == Role.CONVERSATION_ID:
            return summary.conversation_id
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return summary.other_user.display_name
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            return f"@{summary.other_user.username}"
        return None

    def summary_at(self, row: int) -> ConversationSummary | None:
        """The conversation on a row; None for the Archived header."""
        if row < len(self._main):
            return self._main.items[row]
        row -= len(self._main)
        if self._header:
            if row == 0:
                return None
            row -= 1
        if self._expanded and 0 <= row < len(self._archived):
            return self._archived.items[row]
        raise IndexError(row)

    def summary(self, conversation_id: str) -> ConversationSummary | None:
        return self._by_id.get(conversation_id)

    def row_of(self, conversation_id: str) -> int | None:
        """The row showing a conversation, or None when it has no row (hidden, collapsed)."""
        summary = self._by_id.get(conversation_id)
        if summary is None:
            return None
        name = _segment_name(summary)
        if name == _MAIN:
            return self._main.index_of(summary)
        if name == _ARCHIVED and self._expanded:
            return self._archive_base() + self._archived.index_of(summary)
        return None

    def header_row(self) -> int | None:
        return len(self._main) if self._header else None

    def conversation_ids(self) -> list[str]:
        """Visible order, as the rows show it (hidden and collapsed ones excluded)."""
        return [
            s.conversation_id
            for row in range(self.rowCount())
            if (s := self.summary_at(row)) is not None
        ]

    @property
    def archived_expanded(self) -> bool:
        return self._expanded

    def archived_ids(self) -> list[str]:
        return [s.conversation_id for s in self._archived.items]

    # --- applying the stream ----------------------------------------------------------

    def apply_snapshot(self, state: ChatState) -> None:
        if not self._by_id:
            self._reset(state.conversations)
        else:
            changed = [s for s in state.conversations if self._by_id.get(s.conversation_id) != s]
            fresh_ids = {s.conversation_id for s in state.conversations}
            gone = [cid for cid in self._by_id if cid not in fresh_ids]
            if len(changed) + len(gone) > INCREMENTAL_SNAPSHOT_LIMIT:
                self._reset(state.conversations)
            else:
                for cid in gone:
                    self._remove(cid)
                for summary in changed:
                    self._upsert(summary)
        self._set_totals(state.version, state.total_unread, state.sending_blocked)

    def apply_delta(self, delta: ChatStateDelta) -> bool:
        """Apply a delta on top of the current version; False when it does not chain.

        A delta that does not start at our version means we missed one: the caller
        asks for a fresh snapshot (the resync of the protocol) instead.
        """
        if self.version is None or delta.base_version != self.version:
            return False
        for summary in delta.conversations:
            self._upsert(summary)
        self._set_totals(delta.version, delta.total_unread, delta.sending_blocked)
        return True

    def set_archived_expanded(self, expanded: bool) -> None:
        if expanded == self._expanded or not self._archived:
            self._expanded = expanded and bool(self._archived)
            self._header_changed()
            return
        base = self._archive_base()
        last = base + len(self._archived) - 1
        if expanded:
            self.beginInsertRows(_NO_PARENT, base, last)
            self._expanded = True
            self.endInsertRows()
        else:
            self.beginRemoveRows(_NO_PARENT, base, last)
            self._expanded = False
            self.endRemoveRows()
        self._header_changed()

    def clear(self) -> None:
        self._reset([])
        self.version = None
        self._set_totals(None, 0, False)

    # --- internals --------------------------------------------------------------------

    def _set_totals(self, version: int | None, total: int, sending_blocked: bool) -> None:
        self.version = version
        if sending_blocked != self.sending_blocked:
            self.sending_blocked = sending_blocked
            self.sending_blocked_changed.emit(sending_blocked)
        if total != self.total_unread:
            self.total_unread = total
            self.total_unread_changed.emit(total)

    def _archive_base(self) -> int:
        return len(self._main) + int(self._header)

    def _segment(self, name: str) -> _Segment:
        return self._main if name == _MAIN else self._archived

    def _reset(self, conversations: list[ConversationSummary]) -> None:
        self.beginResetModel()
        self._by_id = {s.conversation_id: s for s in conversations}
        self._hidden = {s.conversation_id: s for s in conversations if s.hidden}
        self._main.reset([s for s in conversations if not s.hidden and not s.archived])
        self._archived.reset([s for s in conversations if not s.hidden and s.archived])
        self._header = bool(self._archived)
        self._expanded = self._expanded and self._header
        self.endResetModel()

    def _upsert(self, summary: ConversationSummary) -> None:
        old = self._by_id.get(summary.conversation_id)
        if old is not None and _segment_name(old) == _segment_name(summary) != _HIDDEN:
            self._move_within(old, summary)
        else:
            if old is not None:
                self._remove(old.conversation_id)
            self._insert(summary)
        self.conversation_changed.emit(summary)

    def _row_base(self, name: str) -> int | None:
        """First row of a segment, or None when the segment has no rows showing."""
        if name == _MAIN:
            return 0
        return self._archive_base() if self._expanded else None

    def _move_within(self, old: ConversationSummary, new: ConversationSummary) -> None:
        """Re-place a conversation inside its section as a change of the rows between.

        Rows all have one height, so moving a conversation from row 3000 to row 0 is
        the same picture as rows 0..3000 changing content: signalled that way, the
        view repaints the visible rows instead of laying out all 5,000 again, which
        ``beginMoveRows`` would cost. Views keep their selection by conversation id
        (see :attr:`conversation_changed`), not by row.
        """
        name = _segment_name(new)
        segment = self._segment(name)
        source = segment.index_of(old)
        segment.pop(source)
        target = segment.position_for(sort_key(new))
        segment.insert(target, new)
        self._by_id[new.conversation_id] = new
        base = self._row_base(name)
        if base is not None:
            first, last = sorted((source, target))
            self.dataChanged.emit(self.index(base + first), self.index(base + last))
        if name == _ARCHIVED:
            self._header_changed()

    def _insert(self, summary: ConversationSummary) -> None:
        self._by_id[summary.conversation_id] = summary
        name = _segment_name(summary)
        if name == _HIDDEN:
            self._hidden[summary.conversation_id] = summary
            return
        if name == _ARCHIVED and not self._header:
            row = len(self._main)
            self.beginInsertRows(_NO_PARENT, row, row)
            self._header = True
            self.endInsertRows()
        segment = self._segment(name)
        position = segment.position_for(sort_key(summary))
        base = self._row_base(name)
        if base is None:
            segment.insert(position, summary)
        else:
            self.beginInsertRows(_NO_PARENT, base + position, base + position)
            segment.insert(position, summary)
            self.endInsertRows()
        if name == _ARCHIVED:
            self._header_changed()

    def _remove(self, conversation_id: str) -> None:
        summary = self._by_id.pop(conversation_id)
        name = _segment_name(summary)
        if name == _HIDDEN:
            self._hidden.pop(conversation_id, None)
            return
        segment = self._segment(name)
        position = segment.index_of(summary)
        base = self._row_base(name)
        if base is None:
            segment.pop(position)
        else:
            self.beginRemoveRows(_NO_PARENT, base + position, base + position)
            segment.pop(position)
            self.endRemoveRows()
        if name == _ARCHIVED:
            if not self._archived:
                row = len(self._main)
                self.beginRemoveRows(_NO_PARENT, row, row)
                self._header = False
                self._expanded = False
                self.endRemoveRows()
            else:
                self._header_changed()

    def _header_changed(self) -> None:
        row = self.header_row()
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index)
