""" "Connect to server…": a team's ws:// or wss:// address, or the bundled server."""

from __future__ import annotations

from .qt import QtWidgets, named
from .settings import validate_server_url


class ConnectDialog(QtWidgets.QDialog):
    """On accept, :attr:`server_url` is a validated URL, or None for the bundled server."""

    def __init__(self, current: str | None, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to server")
        self.setMinimumWidth(420)
        self.server_url: str | None = current
        self.bundled = QtWidgets.QRadioButton(
            "Use the server built into Parley (this computer only)"
        )
        self.remote = QtWidgets.QRadioButton("Connect to a team server:")
        self.url = QtWidgets.QLineEdit(current or "")
        self.url.setPlaceholderText("wss://chat.example.com")
        self.error = named(QtWidgets.QLabel(), "dialogError")
        self.error.setWordWrap(True)
        self.error.hide()
        (self.remote if current else self.bundled).setChecked(True)
        self.url.setEnabled(bool(current))
        self.remote.toggled.connect(self.url.setEnabled)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        for widget in (self.bundled, self.remote, self.url, self.error, buttons):
            layout.addWidget(widget)

    def try_accept(self) -> None:
        if self.bundled.isChecked():
            self.server_url = None
            self.accept()
            return
        try:
            self.server_url = validate_server_url(self.url.text())
        except ValueError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.accept()
