"""The scrolling list of bubbles for one conversation.

A QTreeView with one column rather than a QListView: with rows of different heights a
list view measures every row on each change, while a tree view scrolling by item
measures only the rows it shows, which keeps appending a message cheap however much
history is loaded. It follows the newest message while the user is at the bottom and
asks the model for older messages when the user reaches the top.
"""

from __future__ import annotations

from ..qt import QtCore, QtGui, QtWidgets
from .delegate import MessageDelegate
from .model import MessageListModel

SHORT_CONVERSATION = 40  # rows measured to push a short conversation to the bottom


class MessageListView(QtWidgets.QTreeView):
    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageList")
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(0)
        self.setItemsExpandable(False)
        self.setUniformRowHeights(False)
        self.setVerticalScrollMode(QtWidgets.QAbstractItemView.ScrollMode.ScrollPerItem)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.CustomContextMenu)
        self.bubbles = MessageDelegate(self)
        self.setItemDelegate(self.bubbles)
        self._follow = True
        self.verticalScrollBar().valueChanged.connect(self._scrolled)

    def set_messages(self, model: MessageListModel | None) -> None:
        old = self.model()
        if isinstance(old, MessageListModel):
            old.rowsAboutToBeInserted.disconnect(self._before_insert)
            old.rowsInserted.disconnect(self._after_insert)
            old.rowsRemoved.disconnect(self._align_bottom)
            old.modelReset.disconnect(self._align_bottom)
        self.bubbles.clear_cache()
        self.setModel(model)
        if model is not None:
            model.rowsAboutToBeInserted.connect(self._before_insert)
            model.rowsInserted.connect(self._after_insert)
            model.rowsRemoved.connect(self._align_bottom)
            model.modelReset.connect(self._align_bottom)
            self._follow = True
            self.scrollToBottom()
        self._align_bottom()

    def messages(self) -> MessageListModel | None:
        model = self.model()
        return model if isinstance(model, MessageListModel) else None

    @property
    def following(self) -> bool:
        """Whether the newest message is in view (new ones then scroll into view)."""
        return self._follow

    # Rows are painted by the delegate alone; no selection or focus decoration.
    def drawRow(
        self,
        painter: QtGui.QPainter,
        options: QtWidgets.QStyleOptionViewItem,
        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
    ) -> None:
        self.bubbles.paint(painter, options, index)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        width = self.viewport().width()
        if width != self.bubbles.width:
            self.bubbles.width = width
            self.bubbles.clear_cache()
            self.doItemsLayout()
            if self._follow:
                self.scrollToBottom()
        self._align_bottom()

    def _align_bottom(self) -> None:
        """A short conversation sits at the bottom, above the composer, as in a chat app.

        Only short ones are measured: once the rows fill the view there is nothing to
        push down, and measuring every row would defeat the lazy layout.
        """
        model = self.messages()
        top = 0
        if model is not None and model.rowCount() <= SHORT_CONVERSATION:
            used = sum(
                self.bubbles.layout_for(model.index(row, 0)).height
                for row in range(model.rowCount())
            )
            top = max(0, self.height() - 2 * self.frameWidth() - used)
        if self.viewportMargins().top() != top:
            self.setViewportMargins(0, top, 0, 0)

    def _before_insert(self, parent: QtCore.QModelIndex, first: int, last: int) -> None:
        bar = self.verticalScrollBar()
        self._follow = bar.value() >= bar.maximum()

    def _after_insert(self, parent: QtCore.QModelIndex, first: int, last: int) -> None:
        model = self.messages()
        if model is None:
            return
        self._align_bottom()
        if first == 0 and last + 1 < model.rowCount():
            # Older rows above: keep the rows the user was reading where they were.
            bar = self.verticalScrollBar()
            QtCore.QTimer.singleShot(0, lambda: bar.setValue(bar.value() + last + 1))
        elif self._follow:
            QtCore.QTimer.singleShot(0, self.scrollToBottom)

    def _scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum()
        model = self.messages()
        if model is not None and value == bar.minimum() and bar.maximum() > 0:
            model.reveal_older()
