"""The message composer: Enter sends, Shift+Enter starts a new line, a counter near the limit."""

from __future__ import annotations

from ..qt import QtCore, QtGui, QtWidgets, Signal, named

COUNTER_MARGIN = 100  # the counter shows once this close to the limit
MAX_LINES = 8


class ComposerEdit(QtWidgets.QPlainTextEdit):
    """A plain-text editor that turns Enter into "send" and grows with its text."""

    submitted = Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composerEdit")
        self.setPlaceholderText("Write a message…")
        self.setTabChangesFocus(True)
        self.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self._fit()

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        enter = event.key() in (QtCore.Qt.Key.Key_Return, QtCore.Qt.Key.Key_Enter)
        if enter and not event.modifiers() & QtCore.Qt.KeyboardModifier.ShiftModifier:
            self.submitted.emit()
            return
        if enter:
            self.insertPlainText("\n")
            return
        super().keyPressEvent(event)

    def _fit(self, *_: object) -> None:
        line = self.fontMetrics().lineSpacing()
        wanted = max(1, int(self.document().size().height()))
        lines = min(MAX_LINES, wanted)
        self.setVerticalScrollBarPolicy(
            QtCore.Qt.ScrollBarPolicy.ScrollBarAsNeeded
            if wanted > MAX_LINES
            else QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        margins = self.contentsMargins()
        chrome = int(self.document().documentMargin() * 2) + margins.top() + margins.bottom()
        self.setFixedHeight(lines * line + chrome + 4)


class Composer(QtWidgets.QWidget):
    """Editor, length counter and send button; emits the text to send."""

    send_requested = Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_StyledBackground, True)
        self.max_length = 1024
        self.edit = ComposerEdit(self)
        self.counter = named(QtWidgets.QLabel(), "composerCounter")
        self.counter.hide()
        self.send_button = named(QtWidgets.QToolButton(), "sendButton")
        self.send_button.setText("➤")
        self.send_button.setToolTip("Send (Enter)")
        self.send_button.setEnabled(False)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 10, 8)
        layout.setSpacing(8)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.counter, 0, QtCore.Qt.AlignmentFlag.AlignBottom)
        layout.addWidget(self.send_button, 0, QtCore.Qt.AlignmentFlag.AlignBottom)
        self.edit.textChanged.connect(self._update)
        self.edit.submitted.connect(self.submit)
        self.send_button.clicked.connect(self.submit)

    def set_max_length(self, limit: int) -> None:
        self.max_length = limit
        self._update()

    def text(self) -> str:
        return self.edit.toPlainText()

    def submit(self) -> None:
        text = self.text()
        if not text.strip() or len(text) > self.max_length:
            return
        self.edit.clear()
        self.send_requested.emit(text)

    def _update(self) -> None:
        length = len(self.text())
        over = length > self.max_length
        if length >= self.max_length - COUNTER_MARGIN:
            self.counter.setText(f"{length}/{self.max_length}")
            self.counter.setToolTip(
                f"{length - self.max_length} characters over the limit"
                if over
                else f"{self.max_length - length} characters left"
            )
            self.counter.setProperty("over", "true" if over else "false")
            self.counter.style().unpolish(self.counter)
            self.counter.style().polish(self.counter)
            self.counter.show()
        else:
            self.counter.hide()
        self.send_button.setEnabled(bool(self.text().strip()) and not over)
