"""Colours, sizes and the style sheet: one light theme in the manner of Telegram Desktop.

Kept in one module so the delegates (which paint by hand) and the widgets (styled by
the sheet) agree on every colour.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .qt import QtGui

ACCENT = "#3390ec"
ACCENT_DARK = "#2b7fd6"
TEXT = "#000000"
TEXT_SECONDARY = "#707579"
DIVIDER = "#e7e7e7"
SIDEBAR_BG = "#ffffff"
HOVER_BG = "#f4f4f5"
SELECTED_BG = ACCENT
CHAT_BG = "#dfe6ee"
OWN_BUBBLE = "#eeffde"
OWN_META = "#4fae4e"
OTHER_BUBBLE = "#ffffff"
BADGE_BG = ACCENT
BADGE_MUTED_BG = "#c4c9cc"
ERROR = "#e53935"
WARNING = "#b7791f"
NOTICE_BG = "#fff4e5"

AVATAR_COLOURS = ("#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774")

CONVERSATION_ROW_HEIGHT = 64
AVATAR_SIZE = 48


def colour(name: str) -> QtGui.QColor:
    return QtGui.QColor(name)


def avatar_colour(user_id: int) -> QtGui.QColor:
    return QtGui.QColor(AVATAR_COLOURS[user_id % len(AVATAR_COLOURS)])


def initials(name: str) -> str:
    parts = [p for p in name.replace("_", " ").split() if p]
    if not parts:
        return "?"
    if len(parts) == 1:
        return parts[0][:1].upper()
    return (parts[0][:1] + parts[-1][:1]).upper()


def font(point_size: float, *, bold: bool = False, italic: bool = False) -> QtGui.QFont:
    result = QtGui.QFont()
    result.setPointSizeF(point_size)
    result.setBold(bold)
    result.setItalic(italic)
    return result


def short_time(moment: datetime, now: datetime | None = None) -> str:
    """Telegram's list times: 14:05 today, a weekday this week, a date before that."""
    local = moment.astimezone()
    now = (now or datetime.now(local.tzinfo)).astimezone(local.tzinfo)
    if local.date() == now.date():
        return local.strftime("%H:%M")
    if now.date() - local.date() < timedelta(days=7):
        return local.strftime("%a")
    if local.year == now.year:
        return local.strftime("%d %b").lstrip("0")
    return local.strftime("%d.%m.%y")


def clock_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M")


STYLE_SHEET = f"""
QMainWindow, QDialog {{ background: {SIDEBAR_BG}; }}
QSplitter::handle {{ background: {DIVIDER}; width: 1px; }}
QTreeView#conversationList {{ border: none; background: {SIDEBAR_BG}; outline: 0; }}
QTreeView#messageList {{ border: none; background: {CHAT_BG}; outline: 0; }}
QWidget#sidebarHeader, QWidget#chatHeader {{
    background: {SIDEBAR_BG}; border-bottom: 1px solid {DIVIDER};
}}
QLabel#sidebarTitle {{ font-size: 15pt; font-weight: 600; }}
QLabel#chatTitle {{ font-size: 11.5pt; font-weight: 600; }}
QLabel#chatSubtitle {{ color: {TEXT_SECONDARY}; }}
QLabel#emptyState {{
    color: white; background: rgba(0, 0, 0, 0.22); border-radius: 12px; padding: 4px 12px;
}}
QLabel#chatBanner {{
    background: {NOTICE_BG}; color: {WARNING}; padding: 10px 16px; border-top: 1px solid {DIVIDER};
}}
QWidget#composer {{ background: {SIDEBAR_BG}; border-top: 1px solid {DIVIDER}; }}
QPlainTextEdit#composerEdit {{ border: none; background: transparent; font-size: 11pt; }}
QLabel#composerCounter {{ color: {TEXT_SECONDARY}; }}
QLabel#composerCounter[over="true"] {{ color: {ERROR}; font-weight: 600; }}
QToolButton#sendButton {{
    border: none; border-radius: 18px; background: {ACCENT}; color: white;
    font-size: 14pt; min-width: 36px; min-height: 36px;
}}
QToolButton#sendButton:disabled {{ background: {BADGE_MUTED_BG}; }}
QToolButton#newConversationButton {{
    border: none; border-radius: 16px; padding: 6px; color: {ACCENT}; font-weight: 600;
}}
QToolButton#newConversationButton:hover {{ background: {HOVER_BG}; }}
QLineEdit#searchField {{
    border: none; border-radius: 16px; background: {HOVER_BG}; padding: 6px 12px;
}}
QStatusBar {{ background: {SIDEBAR_BG}; color: {TEXT_SECONDARY}; border-top: 1px solid {DIVIDER}; }}
QLabel#connectionStatus {{ padding: 0 8px; }}
QLabel#connectionStatus[state="connected"] {{ color: {OWN_META}; }}
QLabel#connectionStatus[state="reconnecting"], QLabel#connectionStatus[state="connecting"] {{
    color: {WARNING};
}}
QLabel#connectionStatus[state="offline"] {{ color: {ERROR}; }}
QLabel#dialogError {{ color: {ERROR}; }}
QDialog QLineEdit {{
    border: 1px solid #dadce0; border-radius: 8px; padding: 8px 10px; background: white;
}}
QDialog QLineEdit:focus {{ border-color: {ACCENT}; }}
QPushButton#primaryButton {{
    background: {ACCENT}; color: white; border: none; border-radius: 8px; padding: 10px;
    font-weight: 600;
}}
QPushButton#primaryButton:hover {{ background: {ACCENT_DARK}; }}
QPushButton#primaryButton:disabled {{ background: {BADGE_MUTED_BG}; }}
QPushButton#linkButton {{ border: none; color: {ACCENT}; padding: 4px; }}
QPushButton#linkButton:hover {{ text-decoration: underline; }}
QLabel#dialogNote {{ color: {TEXT_SECONDARY}; }}
"""
