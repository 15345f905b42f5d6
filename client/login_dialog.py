"""Sign in or create an account on the chosen server.

The dialog opens the connection itself (the first :meth:`Connection.open`), so a wrong
password or an unreachable server is said in the dialog, next to the fields, and the
main window only ever gets a signed-in connection.
"""

from __future__ import annotations

import asyncio
import logging

import websockets

from parley.shared.errors import ParleyError

from .connection import Connection, ConnectionLost, PasswordAuth
from .credentials import TokenStore
from .icon import app_icon
from .qt import QtCore, QtGui, QtWidgets, Signal, named

log = logging.getLogger(__name__)


class LoginDialog(QtWidgets.QDialog):
    """Emits :attr:`signed_in` with the open connection; never blocks the event loop."""

    signed_in = Signal(object)  # Connection
    change_server_requested = Signal()

    def __init__(
        self,
        url: str,
        server_label: str,
        server_key: str,
        tokens: TokenStore,
        *,
        username: str = "",
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.url = url
        self.server_key = server_key
        self.tokens = tokens
        self.registering = False
        self._task: asyncio.Task[None] | None = None
        self.setWindowTitle("Parley — Sign in")
        self.setMinimumWidth(380)

        logo = QtWidgets.QLabel()
        logo.setPixmap(app_icon(0, 72).pixmap(72, 72))
        logo.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.heading = QtWidgets.QLabel()
        self.heading.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        heading_font = self.heading.font()
        heading_font.setPointSizeF(15)
        heading_font.setBold(True)
        self.heading.setFont(heading_font)
        server = named(QtWidgets.QLabel(server_label), "dialogNote")
        server.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        server.setWordWrap(True)

        self.username = QtWidgets.QLineEdit(username)
        self.username.setPlaceholderText("Username")
        self.display_name = QtWidgets.QLineEdit()
        self.display_name.setPlaceholderText("Your name as others see it (optional)")
        self.password = QtWidgets.QLineEdit()
        self.password.setPlaceholderText("Password")
        self.password.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.error = named(QtWidgets.QLabel(), "dialogError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.submit_button = named(QtWidgets.QPushButton(), "primaryButton")
        self.submit_button.setDefault(True)
        self.submit_button.clicked.connect(self.submit)
        self.mode_button = named(QtWidgets.QPushButton(), "linkButton")
        self.mode_button.clicked.connect(lambda: self.set_registering(not self.registering))
        change = named(QtWidgets.QPushButton("Connect to another server…"), "linkButton")
        change.clicked.connect(self.change_server_requested)

        note = tokens.fallback_warning
        self.keyring_note = named(QtWidgets.QLabel(note or ""), "dialogNote")
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setVisible(bool(note))

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(10)
        layout.addWidget(logo)
        layout.addWidget(self.heading)
        layout.addWidget(server)
        layout.addSpacing(8)
        fields: tuple[QtWidgets.QWidget, ...] = (
            self.username,
            self.display_name,
            self.password,
            self.error,
            self.submit_button,
            self.mode_button,
            change,
        )
        for field in fields:
            layout.addWidget(field)
        layout.addWidget(self.keyring_note)
        self.set_registering(False)

    def set_registering(self, registering: bool) -> None:
        self.registering = registering
        self.heading.setText("Create your account" if registering else "Sign in to Parley")
        self.submit_button.setText("Create account" if registering else "Sign in")
        self.mode_button.setText(
            "I already have an account" if registering else "New here? Create an account"
        )
        self.display_name.setVisible(registering)
        self.error.hide()

    def set_busy(self, busy: bool) -> None:
        for widget in (self.username, self.password, self.display_name, self.submit_button):
            widget.setEnabled(not busy)
        self.submit_button.setText(
            "Connecting…" if busy else ("Create account" if self.registering else "Sign in")
        )

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def submit(self) -> None:
        username = self.username.text().strip()
        password = self.password.text()
        if not username or not password:
            self.show_error("Enter a username and a password.")
            return
        if self._task is not None and not self._task.done():
            return
        auth = PasswordAuth(
            username=username,
            password=password,
            register=self.registering,
            display_name=self.display_name.text().strip() or None,
        )
        self.error.hide()
        self.set_busy(True)
        self._task = asyncio.ensure_future(self._sign_in(auth))

    async def _sign_in(self, auth: PasswordAuth) -> None:
        connection = Connection(self.url)
        try:
            user = await connection.open(auth)
        except ParleyError as exc:
            self.show_error(exc.message)
        except (OSError, TimeoutError, ConnectionLost, websockets.WebSocketException) as exc:
            log.info("Cannot reach %s: %s", self.url, exc)
            self.show_error(f"Cannot reach the server at {self.url}. Is it running?")
        else:
            if connection.token:
                self.tokens.save(self.server_key, user.username, connection.token)
            self.password.clear()
            self.signed_in.emit(connection)
            self.accept()
            return
        finally:
            self.set_busy(False)
        self.password.setFocus()

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        if event.key() in (QtCore.Qt.Key.Key_Return, QtCore.Qt.Key.Key_Enter):
            self.submit()
            return
        super().keyPressEvent(event)
