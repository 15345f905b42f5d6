"""The main window: conversation list on the left, the open conversation on the right,
connection status below, unread count in the title and the tray.

It also keeps two promises of the design: a conversation that is open in a focused
window is marked read as messages arrive, and a message that arrives while the window
is not focused raises a system notification.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from parley.shared.models import ConversationSummary, Message, User

from .chat_session import ChatSession
from .connection import ConnectionStatus
from .conversations.panel import ConversationListPanel
from .icon import app_icon
from .messages.panel import ConversationPanel
from .new_conversation_dialog import NewConversationDialog
from .notifications import Notifier
from .qt import QtCore, QtGui, QtWidgets, Signal, named

log = logging.getLogger(__name__)

STATUS_TEXT = {
    ConnectionStatus.CONNECTED: "● Connected",
    ConnectionStatus.CONNECTING: "● Connecting…",
    ConnectionStatus.RECONNECTING: "● Reconnecting…",
    ConnectionStatus.OFFLINE: "● Offline",
}
NOTICE_MS = 12_000


class MainWindow(QtWidgets.QMainWindow):
    sign_out_requested = Signal()
    connect_requested = Signal()
    closed = Signal()

    def __init__(self, session: ChatSession, *, server_label: str = "") -> None:
        super().__init__()
        self.session = session
        self.server_label = server_label
        self._marking: set[str] = set()
        self._unnamed: dict[str, Message] = {}  # notifications waiting for a sender name
        self._analytics: QtWidgets.QWidget | None = None
        self.resize(1180, 760)
        self.setMinimumSize(720, 480)

        self.conversation_list = ConversationListPanel(session)
        self.conversation = ConversationPanel(session)
        splitter = QtWidgets.QSplitter()
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.conversation_list)
        splitter.addWidget(self.conversation)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([340, 840])
        self.conversation_list.setMinimumWidth(260)
        self.setCentralWidget(splitter)

        self.status_label = named(QtWidgets.QLabel(), "connectionStatus")
        self.statusBar().addPermanentWidget(self.status_label)
        self.statusBar().setSizeGripEnabled(False)
        self.notifier = Notifier(self)
        self._build_menu()

        self.conversation_list.conversation_selected.connect(self.open_conversation)
        self.conversation_list.new_conversation_requested.connect(self.new_conversation)
        conversations = session.conversations
        conversations.total_unread_changed.connect(self._unread_changed)
        conversations.conversation_changed.connect(self._conversation_changed)
        conversations.modelReset.connect(self._notify_named)
        session.notice.connect(self.show_notice)
        session.message_received.connect(self._message_received)
        session.connection.status_changed.connect(self._status_changed)
        session.connection.session_ended.connect(self._session_ended)
        self._status_changed(session.connection.status.value)
        self._unread_changed(conversations.total_unread)

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&Parley")
        entries: list[tuple[str, str | None, Any]] = [
            ("New conversation…", "Ctrl+N", self.new_conversation),
            ("Connect to server…", None, self.connect_requested.emit),
            ("Chat analytics…", None, self.open_analytics),
            ("", None, None),
            ("Sign out", None, self.sign_out_requested.emit),
            ("Quit", "Ctrl+Q", self.close),
        ]
        for label, shortcut, slot in entries:
            if not label:
                menu.addSeparator()
                continue
            action = menu.addAction(label)
            if shortcut:
                action.setShortcut(QtGui.QKeySequence(shortcut))
            action.triggered.connect(slot)
        chats = self.menuBar().addMenu("&Chats")
        for action in self.conversation_list.actions_by_name.values():
            chats.addAction(action)

    # --- conversations ----------------------------------------------------------------

    def open_conversation(self, conversation_id: str) -> None:
        self.conversation.open(conversation_id)
        current = self.conversation_list.current_summary()
        if current is None or current.conversation_id != conversation_id:
            self.conversation_list.select(conversation_id)
        self._mark_open_read()

    def start_conversation(self, user: User) -> None:
        self.open_conversation(self.session.conversation_with(user))

    def new_conversation(self) -> None:
        dialog = NewConversationDialog(self.session, self)
        dialog.user_chosen.connect(self.start_conversation)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def is_focused(self) -> bool:
        return self.isActiveWindow() and not self.isMinimized()

    def _conversation_changed(self, summary: ConversationSummary) -> None:
        self._notify_named()
        if summary.conversation_id == self.conversation.conversation_id:
            self._mark_open_read()

    def _notify_named(self) -> None:
        """Raise the notifications that waited for their conversation to be known."""
        for conversation_id in list(self._unnamed):
            peer = self.session.peer(conversation_id)
            if peer is not None:
                self.notifier.message_received(
                    self._unnamed.pop(conversation_id), peer.display_name
                )

    def _mark_open_read(self) -> None:
        """Read what the user is looking at: the open conversation in a focused window."""
        conversation_id = self.conversation.conversation_id
        if conversation_id is None or conversation_id in self._marking or not self.is_focused():
            return
        summary = self.session.conversations.summary(conversation_id)
        if summary is None or summary.unread_count == 0:
            return
        self._marking.add(conversation_id)
        task = self.session.spawn(self.session.mark_read(conversation_id))
        task.add_done_callback(lambda _: self._marking.discard(conversation_id))

    def changeEvent(self, event: QtCore.QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.ActivationChange and self.isActiveWindow():
            self._mark_open_read()

    def _message_received(self, message: Message) -> None:
        if message.conversation_id == self.conversation.conversation_id and self.is_focused():
            return
        peer = self.session.peer(message.conversation_id)
        if peer is None:
            # A first message arrives before the chat-state delta that names its sender.
            self._unnamed[message.conversation_id] = message
            return
        self.notifier.message_received(message, peer.display_name)

    # --- status -----------------------------------------------------------------------

    def _unread_changed(self, total: int) -> None:
        self.setWindowTitle(f"Parley ({total})" if total else "Parley")
        self.setWindowIcon(app_icon(total))
        self.notifier.set_unread(total)

    def _status_changed(self, status: str) -> None:
        state = ConnectionStatus(status)
        text = STATUS_TEXT[state]
        if state is ConnectionStatus.CONNECTED and self.server_label:
            text += f" · {self.server_label}"
        self.status_label.setText(text)
        self.status_label.setProperty("state", state.value)
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)

    def show_notice(self, text: str) -> None:
        self.statusBar().showMessage(text, NOTICE_MS)

    def _session_ended(self, code: str, message: str) -> None:
        self.show_notice(f"{message} Please sign in again.")
        self.sign_out_requested.emit()

    def open_analytics(self) -> None:
        """The analytics window lives in its own package and loads only when asked for."""
        try:
            module = importlib.import_module("parley.client.analytics.window")
        except ImportError as exc:
            log.warning("Chat analytics is not available: %s", exc)
            self.show_notice("Chat analytics is not installed in this build.")
            return
        if self._analytics is None:
            self._analytics = module.AnalyticsWindow()
        assert self._analytics is not None
        self._analytics.show()
        self._analytics.raise_()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.notifier.hide()
        super().closeEvent(event)
        self.closed.emit()
