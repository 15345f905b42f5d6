"""Paints one row of the conversation list: avatar, name, time, preview, badge, pin.

Painted by hand rather than built from widgets so that a list of thousands of rows
costs one paint call per visible row; every row has the same height, which lets the
view skip measuring rows it does not show.
"""

from __future__ import annotations

from parley.shared.models import ConversationSummary, ModerationStatus

from .. import theme
from ..qt import QtCore, QtGui, QtWidgets
from .model import Role, RowKind

PADDING = 10


class ConversationDelegate(QtWidgets.QStyledItemDelegate):
    """Row painter; ``own_user_id`` decides whether a preview starts with "You:"."""

    def __init__(self, own_user_id: int, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.own_user_id = own_user_id
        self._name_font = theme.font(10.5, bold=True)
        self._text_font = theme.font(10)
        self._italic_font = theme.font(10, italic=True)
        self._time_font = theme.font(8.5)
        self._badge_font = theme.font(8.5, bold=True)
        self._avatar_font = theme.font(13, bold=True)

    def sizeHint(
        self,
        option: QtWidgets.QStyleOptionViewItem,
        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
    ) -> QtCore.QSize:
        return QtCore.QSize(280, theme.CONVERSATION_ROW_HEIGHT)

    def paint(
        self,
        painter: QtGui.QPainter,
        option: QtWidgets.QStyleOptionViewItem,
        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
    ) -> None:
        painter.save()
        try:
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
            state = option.state
            rect: QtCore.QRect = option.rect
            selected = bool(state & QtWidgets.QStyle.StateFlag.State_Selected)
            hovered = bool(state & QtWidgets.QStyle.StateFlag.State_MouseOver)
            if selected:
                painter.fillRect(rect, theme.colour(theme.SELECTED_BG))
            elif hovered:
                painter.fillRect(rect, theme.colour(theme.HOVER_BG))
            if index.data(Role.KIND) == RowKind.ARCHIVED_HEADER:
                self._paint_archive(painter, rect, index, selected)
            else:
                summary: ConversationSummary = index.data(Role.SUMMARY)
                self._paint_conversation(painter, rect, summary, selected)
        finally:
            painter.restore()

    # --- pieces -------------------------------------------------------------------------

    def _avatar_rect(self, rect: QtCore.QRect) -> QtCore.QRect:
        top = rect.top() + (rect.height() - theme.AVATAR_SIZE) // 2
        return QtCore.QRect(rect.left() + PADDING, top, theme.AVATAR_SIZE, theme.AVATAR_SIZE)

    def _paint_avatar(
        self, painter: QtGui.QPainter, rect: QtCore.QRect, fill: QtGui.QColor, label: str
    ) -> None:
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawEllipse(rect)
        painter.setPen(QtGui.QColor("white"))
        painter.setFont(self._avatar_font)
        painter.drawText(rect, QtCore.Qt.AlignmentFlag.AlignCenter, label)

    def _paint_conversation(
        self,
        painter: QtGui.QPainter,
        rect: QtCore.QRect,
        summary: ConversationSummary,
        selected: bool,
    ) -> None:
        other = summary.other_user
        self._paint_avatar(
            painter,
            self._avatar_rect(rect),
            theme.avatar_colour(other.id),
            theme.initials(other.display_name),
        )
        left = rect.left() + PADDING + theme.AVATAR_SIZE + 12
        right = rect.right() - PADDING - 2
        top_line = QtCore.QRect(left, rect.top() + 11, right - left, 20)
        bottom_line = QtCore.QRect(left, rect.top() + 34, right - left, 20)
        primary = QtGui.QColor("white") if selected else theme.colour(theme.TEXT)
        secondary = QtGui.QColor("#e6f0fc") if selected else theme.colour(theme.TEXT_SECONDARY)

        # time, top right
        when = summary.last_message.sent_at if summary.last_message else summary.created_at
        time_text = theme.short_time(when)
        painter.setFont(self._time_font)
        time_width = painter.fontMetrics().horizontalAdvance(time_text)
        painter.setPen(secondary)
        painter.drawText(
            top_line,
            QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter,
            time_text,
        )

        # name, elided before the time
        painter.setFont(self._name_font)
        painter.setPen(primary)
        name_rect = top_line.adjusted(0, 0, -(time_width + 8), 0)
        name = painter.fontMetrics().elidedText(
            other.display_name, QtCore.Qt.TextElideMode.ElideRight, name_rect.width()
        )
        painter.drawText(
            name_rect,
            QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter,
            name,
        )

        # badge or pin, bottom right
        trailing = self._paint_trailing(painter, bottom_line, summary, selected)

        # preview, elided before the badge
        preview_rect = bottom_line.adjusted(0, 0, -(trailing + 6 if trailing else 0), 0)
        prefix, text, italic = self._preview(summary)
        painter.setFont(self._text_font)
        metrics = painter.fontMetrics()
        x = preview_rect.left()
        if prefix:
            painter.setPen(QtGui.QColor("white") if selected else theme.colour(theme.ACCENT))
            painter.drawText(
                preview_rect,
                QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter,
                prefix,
            )
            x += metrics.horizontalAdvance(prefix)
        painter.setFont(self._italic_font if italic else self._text_font)
        painter.setPen(secondary)
        rest = QtCore.QRect(x, preview_rect.top(), preview_rect.right() - x, preview_rect.height())
        painter.drawText(
            rest,
            QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter,
            painter.fontMetrics().elidedText(
                text, QtCore.Qt.TextElideMode.ElideRight, max(rest.width(), 0)
            ),
        )

    def _preview(self, summary: ConversationSummary) -> tuple[str, str, bool]:
        """(prefix, text, italic) of the second line."""
        last = summary.last_message
        if summary.blocked:
            return "", "You blocked this user", True
        if last is None:
            return "", "No messages yet", True
        prefix = "You: " if last.sender_id == self.own_user_id else ""
        if last.moderation_status == ModerationStatus.REMOVED:
            return prefix, "Removed by moderation", True
        if last.deleted:
            return prefix, "Message deleted", True
        return prefix, " ".join(last.text.split()), False

    def _paint_trailing(
        self,
        painter: QtGui.QPainter,
        line: QtCore.QRect,
        summary: ConversationSummary,
        selected: bool,
    ) -> int:
        """Unread badge, else the pin mark; returns the width used."""
        if summary.unread_count:
            return self._paint_badge(painter, line, summary.unread_count, selected, muted=False)
        if summary.pinned:
            size = 14
            box = QtCore.QRect(
                line.right() - size, line.top() + (line.height() - size) // 2, size, size
            )
            paint_pin(painter, box, QtGui.QColor("white") if selected else QtGui.QColor("#a2acb4"))
            return size
        return 0

    def _paint_badge(
        self,
        painter: QtGui.QPainter,
        line: QtCore.QRect,
        count: int,
        selected: bool,
        *,
        muted: bool,
    ) -> int:
        text = str(count) if count < 1000 else "999+"
        painter.setFont(self._badge_font)
        width = max(22, painter.fontMetrics().horizontalAdvance(text) + 14)
        box = QtCore.QRect(
            line.right() - width + 1, line.top() + (line.height() - 22) // 2, width, 22
        )
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        if selected:
            painter.setBrush(QtGui.QColor("white"))
        else:
            painter.setBrush(theme.colour(theme.BADGE_MUTED_BG if muted else theme.BADGE_BG))
        painter.drawRoundedRect(box, 11, 11)
        painter.setPen(theme.colour(theme.ACCENT) if selected else QtGui.QColor("white"))
        painter.drawText(box, QtCore.Qt.AlignmentFlag.AlignCenter, text)
        return width

    def _paint_archive(
        self,
        painter: QtGui.QPainter,
        rect: QtCore.QRect,
        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
        selected: bool,
    ) -> None:
        avatar = self._avatar_rect(rect)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(QtGui.QColor("#9aa6b1"))
        painter.drawEllipse(avatar)
        paint_archive_box(painter, avatar.adjusted(14, 14, -14, -14), QtGui.QColor("white"))
        left = avatar.right() + 13
        right = rect.right() - PADDING - 2
        top_line = QtCore.QRect(left, rect.top() + 11, right - left, 20)
        bottom_line = QtCore.QRect(left, rect.top() + 34, right - left, 20)
        expanded = bool(index.data(Role.EXPANDED))
        count = int(index.data(Role.ARCHIVED_COUNT) or 0)
        unread = int(index.data(Role.ARCHIVED_UNREAD) or 0)
        painter.setFont(self._name_font)
        painter.setPen(QtGui.QColor("white") if selected else theme.colour(theme.TEXT))
        painter.drawText(
            top_line,
            QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter,
            "Archived chats",
        )
        painter.setFont(self._time_font)
        painter.drawText(
            top_line,
            QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter,
            "▾" if expanded else "▸",
        )
        trailing = (
            self._paint_badge(painter, bottom_line, unread, selected, muted=True) if unread else 0
        )
        painter.setFont(self._text_font)
        painter.setPen(QtGui.QColor("#e6f0fc") if selected else theme.colour(theme.TEXT_SECONDARY))
        noun = "chat" if count == 1 else "chats"
        hint = "click to hide" if expanded else "click to show"
        painter.drawText(
            bottom_line.adjusted(0, 0, -(trailing + 6 if trailing else 0), 0),
            QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter,
            f"{count} {noun} · {hint}",
        )


def paint_pin(painter: QtGui.QPainter, box: QtCore.QRect, colour: QtGui.QColor) -> None:
    """A push pin, drawn (fonts without emoji would show a box for 📌)."""
    painter.save()
    painter.translate(box.center())
    painter.rotate(45)
    scale = box.width() / 14.0
    painter.scale(scale, scale)
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    head = QtGui.QPainterPath()
    head.addRoundedRect(QtCore.QRectF(-3.5, -7, 7, 3), 1, 1)
    head.addRect(QtCore.QRectF(-2.2, -4.5, 4.4, 4))
    head.addPolygon(
        QtGui.QPolygonF(
            [
                QtCore.QPointF(-5, 0),
                QtCore.QPointF(5, 0),
                QtCore.QPointF(3.2, -1.2),
                QtCore.QPointF(-3.2, -1.2),
            ]
        )
    )
    painter.drawPath(head.simplified())
    pen = QtGui.QPen(colour, 1.4)
    painter.setPen(pen)
    painter.drawLine(QtCore.QPointF(0, 0), QtCore.QPointF(0, 7))
    painter.restore()


def paint_archive_box(painter: QtGui.QPainter, box: QtCore.QRect, colour: QtGui.QColor) -> None:
    painter.save()
    pen = QtGui.QPen(colour, 1.8)
    pen.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    lid = QtCore.QRectF(box.left(), box.top(), box.width(), box.height() * 0.3)
    body = QtCore.QRectF(
        box.left() + 1.5, lid.bottom(), box.width() - 3, box.height() - lid.height()
    )
    painter.drawRoundedRect(lid, 1.5, 1.5)
    painter.drawRoundedRect(body, 1.5, 1.5)
    mid = body.top() + body.height() * 0.35
    painter.drawLine(
        QtCore.QPointF(box.center().x() - 3, mid), QtCore.QPointF(box.center().x() + 3, mid)
    )
    painter.restore()
