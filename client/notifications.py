"""New-message notifications and the unread count on the tray icon.

A system notification goes out only when the window is not focused (the user is
elsewhere); otherwise the message shows in the open window and that is enough. On
platforms without a system tray (or offscreen) the tray is skipped, and
:attr:`Notifier.notified` still fires, so the behaviour is observable everywhere.
"""

from __future__ import annotations

from parley.shared.models import Message

from .icon import app_icon
from .qt import QtCore, QtWidgets, Signal

PREVIEW_CHARS = 120


class Notifier(QtCore.QObject):
    notified = Signal(str, str)  # title, body of a notification that was raised

    def __init__(self, window: QtWidgets.QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.unread = 0
        self.tray: QtWidgets.QSystemTrayIcon | None = None
        if QtWidgets.QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QtWidgets.QSystemTrayIcon(app_icon(), window)
            self.tray.setToolTip("Parley")
            self.tray.activated.connect(self._raise_window)
            self.tray.show()

    def set_unread(self, count: int) -> None:
        self.unread = count
        if self.tray is not None:
            self.tray.setIcon(app_icon(count))
            self.tray.setToolTip(f"Parley — {count} unread" if count else "Parley")

    def message_received(self, message: Message, sender_name: str) -> bool:
        """Notify about a message unless the user is looking at the window; True if shown."""
        if self.window.isActiveWindow():
            return False
        body = (
            message.text
            if len(message.text) <= PREVIEW_CHARS
            else message.text[:PREVIEW_CHARS] + "…"
        )
        if self.tray is not None:
            self.tray.showMessage(
                sender_name, body, QtWidgets.QSystemTrayIcon.MessageIcon.Information, 5000
            )
        QtWidgets.QApplication.alert(self.window)
        self.notified.emit(sender_name, body)
        return True

    def hide(self) -> None:
        if self.tray is not None:
            self.tray.hide()

    def _raise_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()
