"""The conversation list's view: a one-column QTreeView with rows of one height.

A QTreeView rather than a QListView because QListView answers any ``dataChanged``,
even for one row, by walking every row of the model, which for 5,000 conversations is
milliseconds of Python calls per delta; a tree view with uniform row heights repaints
the visible rows only. The delegate paints each whole row (no branch decoration).
"""

from __future__ import annotations

from ..qt import QtCore, QtGui, QtWidgets, named


class ConversationListView(QtWidgets.QTreeView):
    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, "conversationList")
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(0)
        self.setItemsExpandable(False)
        self.setUniformRowHeights(True)
        self.setMouseTracking(True)
        self.setAllColumnsShowFocus(True)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QtWidgets.QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self._hovered = -1  # row under the mouse, painted with the hover colour

    def _set_hovered(self, row: int) -> None:
        if row == self._hovered:
            return
        old, self._hovered = self._hovered, row
        model = self.model()
        for changed in (old, row):
            if model is not None and 0 <= changed < model.rowCount():
                self.update(model.index(changed, 0))

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        index = self.indexAt(event.position().toPoint())
        self._set_hovered(index.row() if index.isValid() else -1)

    def leaveEvent(self, event: QtCore.QEvent) -> None:
        super().leaveEvent(event)
        self._set_hovered(-1)

    def drawRow(
        self,
        painter: QtGui.QPainter,
        options: QtWidgets.QStyleOptionViewItem,
        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
    ) -> None:
        delegate = self.itemDelegate()
        option = QtWidgets.QStyleOptionViewItem(options)
        if self.selectionModel().isSelected(index):
            option.state |= QtWidgets.QStyle.StateFlag.State_Selected
        if index.row() == self._hovered:
            option.state |= QtWidgets.QStyle.StateFlag.State_MouseOver
        delegate.paint(painter, option, index)
