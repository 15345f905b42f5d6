"""The left column: "Chats" header, the conversation list, its menu and shortcuts."""

from __future__ import annotations

from parley.shared.models import ConversationSummary

from ..chat_session import ChatSession
from ..qt import QtCore, QtGui, QtWidgets, Signal, named
from .delegate import ConversationDelegate
from .model import Role, RowKind
from .view import ConversationListView

SHORTCUTS = {
    "pin": "Ctrl+Shift+P",
    "archive": "Ctrl+Shift+A",
    "read": "Ctrl+Shift+R",
    "block": "Ctrl+Shift+B",
}


class ConversationListPanel(QtWidgets.QWidget):
    """Shows ``session.conversations``; emits the conversation the user opens."""

    conversation_selected = Signal(str)
    new_conversation_requested = Signal()

    def __init__(self, session: ChatSession, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = session.conversations

        header = named(QtWidgets.QWidget(), "sidebarHeader")
        header.setFixedHeight(56)
        title = named(QtWidgets.QLabel("Chats"), "sidebarTitle")
        self.new_button = named(QtWidgets.QToolButton(), "newConversationButton")
        self.new_button.setText("✎  New")
        self.new_button.setToolTip("New conversation (Ctrl+N)")
        self.new_button.clicked.connect(self.new_conversation_requested)
        row = QtWidgets.QHBoxLayout(header)
        row.setContentsMargins(16, 0, 10, 0)
        row.addWidget(title)
        row.addStretch(1)
        row.addWidget(self.new_button)

        self.view = ConversationListView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(ConversationDelegate(session.me.id, self.view))
        self.view.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._show_menu)
        self.view.clicked.connect(self._clicked)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self._selected: str | None = None
        # Rows change content when conversations move: keep the selection on the
        # conversation, not on the row number.
        self.model.dataChanged.connect(self._follow_selection)
        self.model.rowsInserted.connect(self._follow_selection)
        self.model.rowsRemoved.connect(self._follow_selection)
        self.model.modelReset.connect(self._follow_selection)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addWidget(self.view, 1)

        self.actions_by_name: dict[str, QtGui.QAction] = {}
        for name, label, slot in (
            ("pin", "Pin / unpin", self.toggle_pinned),
            ("archive", "Archive / unarchive", self.toggle_archived),
            ("read", "Mark as read", self.mark_read),
            ("block", "Block user", self.block),
        ):
            action = QtGui.QAction(label, self)
            action.setShortcut(QtGui.QKeySequence(SHORTCUTS[name]))
            action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
            self.actions_by_name[name] = action

    # --- selection ------------------------------------------------------------------

    def current_summary(self) -> ConversationSummary | None:
        index = self.view.currentIndex()
        if not index.isValid() or index.data(Role.KIND) != RowKind.CONVERSATION:
            return None
        summary: ConversationSummary = index.data(Role.SUMMARY)
        return summary

    def select(self, conversation_id: str) -> None:
        row = self.model.row_of(conversation_id)
        if row is None and conversation_id in self.model.archived_ids():
            self.model.set_archived_expanded(True)
            row = self.model.row_of(conversation_id)
        if row is not None:
            self.view.setCurrentIndex(self.model.index(row))

    def _follow_selection(self, *_: object) -> None:
        if self._selected is None:
            return
        current = self.current_summary()
        if current is not None and current.conversation_id == self._selected:
            return
        row = self.model.row_of(self._selected)
        selection = self.view.selectionModel()
        if row is None:
            selection.clearCurrentIndex()
            selection.clearSelection()
            return
        index = self.model.index(row)
        selection.setCurrentIndex(index, QtCore.QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def _clicked(self, index: QtCore.QModelIndex) -> None:
        if index.data(Role.KIND) == RowKind.ARCHIVED_HEADER:
            self.model.set_archived_expanded(not self.model.archived_expanded)

    def _current_changed(self, current: QtCore.QModelIndex, previous: QtCore.QModelIndex) -> None:
        if current.isValid() and current.data(Role.KIND) == RowKind.CONVERSATION:
            conversation_id = current.data(Role.CONVERSATION_ID)
            if conversation_id != self._selected:
                self._selected = conversation_id
                self.conversation_selected.emit(conversation_id)

    # --- operations -----------------------------------------------------------------

    def toggle_pinned(self) -> None:
        summary = self.current_summary()
        if summary is not None:
            self.session.spawn(self.session.set_pinned(summary.conversation_id, not summary.pinned))

    def toggle_archived(self) -> None:
        summary = self.current_summary()
        if summary is not None:
            self.session.spawn(
                self.session.set_archived(summary.conversation_id, not summary.archived)
            )

    def mark_read(self) -> None:
        summary = self.current_summary()
        if summary is not None:
            self.session.spawn(self.session.mark_read(summary.conversation_id))

    def block(self) -> None:
        summary = self.current_summary()
        if summary is None:
            return
        name = summary.other_user.display_name
        blocking = not summary.blocked
        if blocking:
            answer = QtWidgets.QMessageBox.question(
                self,
                "Block user",
                f"Block {name}? They will no longer be able to send you messages.",
            )
            if answer != QtWidgets.QMessageBox.StandardButton.Yes:
                return
        self.session.spawn(self.session.block_user(summary.other_user.id, blocking))

    def _show_menu(self, position: QtCore.QPoint) -> None:
        index = self.view.indexAt(position)
        if not index.isValid() or index.data(Role.KIND) != RowKind.CONVERSATION:
            return
        self.view.setCurrentIndex(index)
        summary: ConversationSummary = index.data(Role.SUMMARY)
        menu = self.build_menu(summary)
        menu.exec(self.view.viewport().mapToGlobal(position))

    def build_menu(self, summary: ConversationSummary) -> QtWidgets.QMenu:
        menu = QtWidgets.QMenu(self)
        labels = {
            "pin": "Unpin" if summary.pinned else "Pin to top",
            "archive": "Unarchive" if summary.archived else "Archive",
            "read": "Mark as read",
            "block": "Unblock user" if summary.blocked else "Block user",
        }
        for name, label in labels.items():
            action = menu.addAction(label)
            action.setShortcut(QtGui.QKeySequence(SHORTCUTS[name]))
            action.triggered.connect(self.actions_by_name[name].trigger)
            if name == "read":
                action.setEnabled(summary.unread_count > 0)
            if name == "read":
                menu.addSeparator()
        return menu
