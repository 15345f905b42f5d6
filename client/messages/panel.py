"""The right column: who the conversation is with, its messages and the composer."""

from __future__ import annotations

from parley.shared.errors import ParleyError
from parley.shared.models import Message

from .. import theme
from ..chat_session import ChatSession
from ..outbox import DeliveryState, OutboxEntry
from ..qt import QtCore, QtGui, QtWidgets, Signal, named
from .composer import Composer
from .model import Role
from .view import MessageListView

FLAG_REASONS = ("Spam", "Harassment or bullying", "Hate speech", "Sexual content", "Scam or fraud")


class Avatar(QtWidgets.QWidget):
    """A round avatar with initials, as in the conversation list."""

    def __init__(self, size: int, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(size, size)
        self._label = ""
        self._colour = QtGui.QColor(theme.ACCENT)

    def set_user(self, user_id: int, name: str) -> None:
        self._label = theme.initials(name)
        self._colour = theme.avatar_colour(user_id)
        self.update()

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(self._colour)
        painter.drawEllipse(self.rect())
        painter.setPen(QtGui.QColor("white"))
        painter.setFont(theme.font(self.width() / 3.6, bold=True))
        painter.drawText(self.rect(), QtCore.Qt.AlignmentFlag.AlignCenter, self._label)
        painter.end()


class ConversationPanel(QtWidgets.QWidget):
    """Shows one conversation of ``session``; empty until :meth:`open` is called."""

    opened = Signal(str)

    def __init__(self, session: ChatSession, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.conversation_id: str | None = None

        self.header = named(QtWidgets.QWidget(), "chatHeader")
        self.header.setAttribute(QtCore.Qt.WidgetAttribute.WA_StyledBackground, True)
        self.header.setFixedHeight(56)
        self.avatar = Avatar(38)
        self.title = named(QtWidgets.QLabel(), "chatTitle")
        self.subtitle = named(QtWidgets.QLabel(), "chatSubtitle")
        names = QtWidgets.QVBoxLayout()
        names.setSpacing(0)
        names.addStretch(1)
        names.addWidget(self.title)
        names.addWidget(self.subtitle)
        names.addStretch(1)
        row = QtWidgets.QHBoxLayout(self.header)
        row.setContentsMargins(16, 0, 16, 0)
        row.setSpacing(12)
        row.addWidget(self.avatar)
        row.addLayout(names, 1)

        self.view = MessageListView()
        self.view.customContextMenuRequested.connect(self._show_menu)
        self.composer = Composer()
        self.composer.send_requested.connect(self.send)
        self.banner = named(QtWidgets.QLabel(), "chatBanner")
        self.banner.setWordWrap(True)
        self.banner.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.banner.hide()

        self.empty = QtWidgets.QWidget()
        self.empty.setAutoFillBackground(True)
        palette = self.empty.palette()
        palette.setColor(QtGui.QPalette.ColorRole.Window, QtGui.QColor(theme.CHAT_BG))
        self.empty.setPalette(palette)
        hint = named(QtWidgets.QLabel("Select a chat to start messaging"), "emptyState")
        centre = QtWidgets.QVBoxLayout(self.empty)
        centre.addWidget(hint, 0, QtCore.Qt.AlignmentFlag.AlignCenter)

        self.chat = QtWidgets.QWidget()
        chat_layout = QtWidgets.QVBoxLayout(self.chat)
        chat_layout.setContentsMargins(0, 0, 0, 0)
        chat_layout.setSpacing(0)
        chat_layout.addWidget(self.header)
        chat_layout.addWidget(self.view, 1)
        chat_layout.addWidget(self.banner)
        chat_layout.addWidget(self.composer)

        self.stack = QtWidgets.QStackedLayout(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.chat)
        session.conversations.conversation_changed.connect(self._summary_changed)
        session.conversations.sending_blocked_changed.connect(lambda _: self._refresh_header())

    # --- opening ----------------------------------------------------------------------

    def open(self, conversation_id: str) -> None:
        if conversation_id == self.conversation_id:
            return
        self.conversation_id = conversation_id
        self.view.set_messages(self.session.messages(conversation_id))
        self._refresh_header()
        if self.session.connection.limits is not None:
            self.composer.set_max_length(self.session.connection.limits.max_text_length)
        self.stack.setCurrentWidget(self.chat)
        self.composer.edit.setFocus()
        self.opened.emit(conversation_id)

    def close_conversation(self) -> None:
        self.conversation_id = None
        self.view.set_messages(None)
        self.stack.setCurrentWidget(self.empty)

    def _refresh_header(self) -> None:
        if self.conversation_id is None:
            return
        peer = self.session.peer(self.conversation_id)
        if peer is None:
            return
        self.avatar.set_user(peer.id, peer.display_name)
        self.title.setText(peer.display_name)
        summary = self.session.conversations.summary(self.conversation_id)
        status = f"@{peer.username}"
        if summary is not None and summary.blocked:
            status += " · blocked"
        self.subtitle.setText(status)
        self._refresh_banner(blocked=summary is not None and summary.blocked)

    def _refresh_banner(self, *, blocked: bool) -> None:
        """Say why the composer is off, rather than let a send fail."""
        if self.session.conversations.sending_blocked:
            text = (
                "A moderator has stopped you from sending messages. "
                "You can still read the messages you receive."
            )
        elif blocked:
            text = "You blocked this user. Unblock them (Ctrl+Shift+B) to send messages."
        else:
            text = ""
        self.banner.setText(text)
        self.banner.setVisible(bool(text))
        self.composer.setEnabled(not text)

    def _summary_changed(self, summary: object) -> None:
        if getattr(summary, "conversation_id", None) == self.conversation_id:
            self._refresh_header()

    # --- sending ----------------------------------------------------------------------

    def send(self, text: str) -> None:
        if self.conversation_id is None:
            return
        try:
            self.session.send_text(self.conversation_id, text)
        except ParleyError as exc:
            self.session.notice.emit(exc.message)

    # --- message actions --------------------------------------------------------------

    def item_at(self, position: QtCore.QPoint) -> Message | OutboxEntry | None:
        index = self.view.indexAt(position)
        if not index.isValid():
            return None
        item: Message | OutboxEntry = index.data(Role.ITEM)
        return item

    def _show_menu(self, position: QtCore.QPoint) -> None:
        item = self.item_at(position)
        if item is None:
            return
        menu = self.build_menu(item)
        if not menu.isEmpty():
            menu.exec(self.view.viewport().mapToGlobal(position))

    def build_menu(self, item: Message | OutboxEntry) -> QtWidgets.QMenu:
        menu = QtWidgets.QMenu(self)
        if isinstance(item, OutboxEntry):
            if item.state is DeliveryState.FAILED:
                menu.addAction("Retry sending").triggered.connect(
                    lambda: self.session.retry(item.client_message_id)
                )
            menu.addAction("Discard").triggered.connect(
                lambda: self.session.discard(item.client_message_id)
            )
            return menu
        if item.text:
            menu.addAction("Copy text").triggered.connect(
                lambda: QtWidgets.QApplication.clipboard().setText(item.text)
            )
        own = item.sender_id == self.session.me.id
        menu.addAction("Delete for me").triggered.connect(
            lambda: self.delete_message(item.id, for_everyone=False)
        )
        if own and not item.deleted:
            menu.addAction("Delete for everyone").triggered.connect(
                lambda: self.delete_message(item.id, for_everyone=True)
            )
        if not own and not item.deleted:
            menu.addSeparator()
            menu.addAction("Report to moderators…").triggered.connect(
                lambda: self._ask_flag_reason(item.id)
            )
        return menu

    def delete_message(self, message_id: int, *, for_everyone: bool) -> None:
        self.session.spawn(self.session.delete_message(message_id, for_everyone=for_everyone))

    def flag_message(self, message_id: int, reason: str) -> None:
        self.session.spawn(self.session.flag_message(message_id, reason))

    def _ask_flag_reason(self, message_id: int) -> None:
        reason, ok = QtWidgets.QInputDialog.getItem(
            self,
            "Report message",
            "Why should moderators look at this message?",
            [*FLAG_REASONS, "Something else"],
            0,
            True,
        )
        if ok and reason.strip():
            self.flag_message(message_id, reason.strip())
