""" "New conversation": find a user by name and start talking to them."""

from __future__ import annotations

import asyncio

from parley.shared.errors import ParleyError
from parley.shared.models import User

from .chat_session import ChatSession
from .connection import ConnectionLost
from .qt import QtCore, QtWidgets, Signal, named

SEARCH_DELAY_MS = 250  # wait for a pause in typing before asking the server


class NewConversationDialog(QtWidgets.QDialog):
    user_chosen = Signal(object)  # User

    def __init__(self, session: ChatSession, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("New conversation")
        self.setMinimumSize(360, 420)
        self.query = named(QtWidgets.QLineEdit(), "searchField")
        self.query.setPlaceholderText("Search people by name")
        self.results = QtWidgets.QListWidget()
        self.status = named(QtWidgets.QLabel("Type a name to find someone."), "dialogNote")
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)
        self._timer = QtCore.QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.search)
        self.query.textChanged.connect(lambda _: self._timer.start())
        self.results.itemActivated.connect(self._chosen)
        self._search: asyncio.Task[None] | None = None
        self.found: list[User] = []

    def search(self) -> None:
        text = self.query.text().strip()
        if not text:
            self.results.clear()
            self.status.setText("Type a name to find someone.")
            return
        if self._search is not None and not self._search.done():
            self._search.cancel()
        self._search = asyncio.ensure_future(self._run(text))

    async def _run(self, text: str) -> None:
        try:
            users = await self.session.find_users(text)
        except (ParleyError, ConnectionLost) as exc:
            self.status.setText(getattr(exc, "message", str(exc)))
            return
        self.found = users
        self.results.clear()
        for user in users:
            item = QtWidgets.QListWidgetItem(f"{user.display_name}   @{user.username}")
            item.setData(QtCore.Qt.ItemDataRole.UserRole, user.id)
            self.results.addItem(item)
        self.status.setText("No one by that name." if not users else "Double-click to start.")

    def _chosen(self, item: QtWidgets.QListWidgetItem) -> None:
        user_id = item.data(QtCore.Qt.ItemDataRole.UserRole)
        for user in self.found:
            if user.id == user_id:
                self.user_chosen.emit(user)
                self.accept()
                return
