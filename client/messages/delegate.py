"""Paints one message: a bubble (ours on the right, theirs on the left), its time and
delivery tick, a day chip above the first message of a day, and any notice below.

Bubble geometry depends on the text and the view's width only, so it is computed once
per message and width and cached; the view asks for row heights of visible rows only,
and painting reuses the same layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from parley.shared.models import Message

from .. import theme
from ..moderation_notices import bubble_notice, placeholder_text
from ..outbox import DeliveryState, OutboxEntry
from ..qt import QtCore, QtGui, QtWidgets
from .model import Role, delivery_state

SIDE_MARGIN = 14
PAD_X = 11
PAD_Y = 7
ROW_GAP = 3
DAY_CHIP_HEIGHT = 34
MAX_BUBBLE = 520
CACHE_LIMIT = 4000

TICKS = {"sending": "◷", "failed": "⚠", "sent": "✓", "read": "✓✓"}


@dataclass(frozen=True, slots=True)
class BubbleLayout:
    height: int
    bubble: QtCore.QRect  # x from the row's left edge, y from the row's top
    text_origin: QtCore.QPointF
    text: QtGui.QTextLayout
    meta: QtCore.QRect
    meta_text: str
    notice: QtCore.QRect | None
    notice_text: str
    day: str | None  # the day chip's label


def _day_label(moment: datetime) -> str:
    local = moment.astimezone()
    today = datetime.now(local.tzinfo).date()
    if local.date() == today:
        return "Today"
    if (today - local.date()).days == 1:
        return "Yesterday"
    return local.strftime("%A, %d %B %Y").replace(" 0", " ")


def _item_time(item: Message | OutboxEntry) -> datetime:
    return item.sent_at if isinstance(item, Message) else item.created_at


def _wrapped(
    text: str, font: QtGui.QFont, width: int
) -> tuple[QtGui.QTextLayout, float, float, float]:
    """A laid-out paragraph: (layout, widest line, height, last line's width)."""
    layout = QtGui.QTextLayout(text.replace("\n", "\u2028"), font)
    option = QtGui.QTextOption()
    option.setWrapMode(QtGui.QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    layout.beginLayout()
    height = widest = last = 0.0
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        line.setPosition(QtCore.QPointF(0, height))
        height += line.height()
        last = line.naturalTextWidth()
        widest = max(widest, last)
    layout.endLayout()
    return layout, widest, height, last


class MessageDelegate(QtWidgets.QStyledItemDelegate):
    """Bubble painter; :attr:`width` follows the view's viewport (set by the view)."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.width = 600
        self._text_font = theme.font(10.5)
        self._italic_font = theme.font(10.5, italic=True)
        self._meta_font = theme.font(8)
        self._notice_font = theme.font(8.5)
        self._day_font = theme.font(9, bold=True)
        self._cache: dict[tuple[object, ...], BubbleLayout] = {}

    def clear_cache(self) -> None:
        self._cache.clear()

    def sizeHint(
        self,
        option: QtWidgets.QStyleOptionViewItem,
        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
    ) -> QtCore.QSize:
        return QtCore.QSize(self.width, self.layout_for(index).height)

    def layout_for(self, index: QtCore.QModelIndex | QtCore.QPersistentModelIndex) -> BubbleLayout:
        item: Message | OutboxEntry = index.data(Role.ITEM)
        own = bool(index.data(Role.OWN))
        label = _day_label(_item_time(item))
        row = index.row()
        first_of_day = row == 0 or (
            _day_label(_item_time(index.sibling(row - 1, 0).data(Role.ITEM))) != label
        )
        day = label if first_of_day else None
        key = self._key(item, own, day)
        cached = self._cache.get(key)
        if cached is None:
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            cached = self._cache[key] = self._compute(item, own, day)
        return cached

    def _key(self, item: Message | OutboxEntry, own: bool, day: str | None) -> tuple[object, ...]:
        if isinstance(item, OutboxEntry):
            return (
                "p",
                item.client_message_id,
                item.text,
                item.state,
                item.error_message,
                own,
                day,
                self.width,
            )
        return (
            "m",
            item.id,
            item.text,
            item.deleted,
            item.unread,
            item.moderation_status,
            item.premoderation_status,
            own,
            day,
            self.width,
        )

    def _compute(self, item: Message | OutboxEntry, own: bool, day: str | None) -> BubbleLayout:
        max_bubble = max(160, min(int(self.width * 0.7), MAX_BUBBLE))
        content = max_bubble - 2 * PAD_X
        placeholder = placeholder_text(item) if isinstance(item, Message) else None
        font = self._italic_font if placeholder else self._text_font
        text, widest, text_height, last = _wrapped(placeholder or item.text, font, content)

        meta_text = theme.clock_time(_item_time(item))
        if own:
            meta_text += "  " + TICKS[delivery_state(item)]
        meta_metrics = QtGui.QFontMetrics(self._meta_font)
        meta_width = meta_metrics.horizontalAdvance(meta_text) + 2
        meta_height = meta_metrics.height()
        if last + 10 + meta_width <= content:
            inner_width = max(widest, last + 10 + meta_width)
            inner_height = text_height
        else:
            inner_width = max(widest, meta_width)
            inner_height = text_height + meta_height
        bubble_width = int(inner_width) + 2 * PAD_X + 1
        bubble_height = int(inner_height) + 2 * PAD_Y

        top = ROW_GAP + (DAY_CHIP_HEIGHT if day else 0)
        left = self.width - SIDE_MARGIN - bubble_width if own else SIDE_MARGIN
        bubble = QtCore.QRect(left, top, bubble_width, bubble_height)
        meta = QtCore.QRect(
            bubble.right() - PAD_X - meta_width,
            bubble.bottom() - PAD_Y - meta_height + 2,
            meta_width,
            meta_height,
        )
        notice_text = self._notice(item, own)
        notice = None
        height = bubble.bottom() + 1 + ROW_GAP
        if notice_text:
            metrics = QtGui.QFontMetrics(self._notice_font)
            box = metrics.boundingRect(
                QtCore.QRect(0, 0, max_bubble, 1000),
                QtCore.Qt.TextFlag.TextWordWrap,
                notice_text,
            )
            x = self.width - SIDE_MARGIN - box.width() - 4 if own else SIDE_MARGIN + 4
            notice = QtCore.QRect(x, bubble.bottom() + 3, box.width() + 2, box.height())
            height = notice.bottom() + 1 + ROW_GAP + 2
        return BubbleLayout(
            height=height,
            bubble=bubble,
            text_origin=QtCore.QPointF(bubble.left() + PAD_X, bubble.top() + PAD_Y),
            text=text,
            meta=meta,
            meta_text=meta_text,
            notice=notice,
            notice_text=notice_text or "",
            day=day,
        )

    @staticmethod
    def _notice(item: Message | OutboxEntry, own: bool) -> str | None:
        if isinstance(item, OutboxEntry):
            if item.state is DeliveryState.FAILED:
                return f"Not sent: {item.error_message} Right-click to retry."
            return None
        return bubble_notice(item, own=own)

    def paint(
        self,
        painter: QtGui.QPainter,
        option: QtWidgets.QStyleOptionViewItem,
        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
    ) -> None:
        layout = self.layout_for(index)
        item: Message | OutboxEntry = index.data(Role.ITEM)
        own = bool(index.data(Role.OWN))
        rect: QtCore.QRect = option.rect
        painter.save()
        try:
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
            painter.translate(rect.topLeft())
            if layout.day:
                self._paint_day(painter, layout.day)
            failed = isinstance(item, OutboxEntry) and item.state is DeliveryState.FAILED
            painter.setPen(QtCore.Qt.PenStyle.NoPen)
            painter.setBrush(QtGui.QColor(0, 0, 0, 18))
            painter.drawRoundedRect(layout.bubble.translated(0, 1), 12, 12)
            painter.setBrush(theme.colour(theme.OWN_BUBBLE if own else theme.OTHER_BUBBLE))
            painter.drawRoundedRect(layout.bubble, 12, 12)
            placeholder = isinstance(item, Message) and placeholder_text(item) is not None
            painter.setPen(theme.colour(theme.TEXT_SECONDARY if placeholder else theme.TEXT))
            layout.text.draw(painter, layout.text_origin)
            painter.setFont(self._meta_font)
            if failed:
                painter.setPen(theme.colour(theme.ERROR))
            else:
                painter.setPen(theme.colour(theme.OWN_META if own else theme.TEXT_SECONDARY))
            painter.drawText(
                layout.meta,
                QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter,
                layout.meta_text,
            )
            if layout.notice is not None:
                painter.setFont(self._notice_font)
                painter.setPen(theme.colour(theme.ERROR if failed else theme.WARNING))
                align = (
                    QtCore.Qt.AlignmentFlag.AlignRight if own else QtCore.Qt.AlignmentFlag.AlignLeft
                )
                painter.drawText(
                    layout.notice,
                    int(align) | int(QtCore.Qt.TextFlag.TextWordWrap),
                    layout.notice_text,
                )
        finally:
            painter.restore()

    def _paint_day(self, painter: QtGui.QPainter, label: str) -> None:
        painter.setFont(self._day_font)
        width = painter.fontMetrics().horizontalAdvance(label) + 24
        chip = QtCore.QRect((self.width - width) // 2, 8, width, 22)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(QtGui.QColor(0, 0, 0, 56))
        painter.drawRoundedRect(chip, 11, 11)
        painter.setPen(QtGui.QColor("white"))
        painter.drawText(chip, QtCore.Qt.AlignmentFlag.AlignCenter, label)
