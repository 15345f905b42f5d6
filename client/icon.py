"""Parley's icon, drawn at run time (no image files to ship), with an unread badge."""

from __future__ import annotations

from . import theme
from .qt import QtCore, QtGui


def app_icon(unread: int = 0, size: int = 64) -> QtGui.QIcon:
    """A blue disc with a white speech bubble; a red badge when there are unread messages."""
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(QtGui.QColor(theme.ACCENT))
    painter.drawEllipse(QtCore.QRectF(0, 0, size, size))
    bubble = QtGui.QPainterPath()
    s = size / 64.0
    bubble.addRoundedRect(QtCore.QRectF(15 * s, 18 * s, 34 * s, 24 * s), 9 * s, 9 * s)
    tail = QtGui.QPolygonF(
        [
            QtCore.QPointF(22 * s, 38 * s),
            QtCore.QPointF(19 * s, 49 * s),
            QtCore.QPointF(32 * s, 40 * s),
        ]
    )
    bubble.addPolygon(tail)
    painter.setBrush(QtGui.QColor("white"))
    painter.drawPath(bubble.simplified())
    if unread:
        text = str(unread) if unread < 100 else "99+"
        badge = QtCore.QRectF(size * 0.5, 0, size * 0.5, size * 0.42)
        painter.setBrush(QtGui.QColor(theme.ERROR))
        painter.drawRoundedRect(badge, badge.height() / 2, badge.height() / 2)
        painter.setPen(QtGui.QColor("white"))
        font = theme.font(1)
        font.setPixelSize(int(size * 0.28))
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(badge, QtCore.Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return QtGui.QIcon(pixmap)
