"""The analytics window with real widgets offscreen: import, pages, charts, PNG cards."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6 import QtCharts

from parley.client.analytics.window import AnalyticsWindow
from parley.client.qt import QtCore, QtGui, QtWidgets

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("propagateSizeHints", "This plugin does not support"),
]
SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "screenshots" / "analytics.png"


@pytest.fixture
def window(qtbot: object) -> AnalyticsWindow:
    widget = AnalyticsWindow()
    qtbot.addWidget(widget)  # type: ignore[attr-defined]
    widget.show()
    return widget


def test_import_shows_pages_with_charts_and_saves_a_card(
    window: AnalyticsWindow, story_exports: list[Path], tmp_path: Path, qtbot: object
) -> None:
    assert "nothing was sent anywhere" in window.local_notice.text()
    assert not window.save_button.isEnabled()
    with qtbot.waitSignal(window.report_ready, timeout=20_000) as blocker:  # type: ignore[attr-defined]
        window.load(story_exports)
        assert window.progress.isVisible()  # shown while the worker parses
    document = blocker.args[0]
    assert len(document["chats"]) == 3
    assert document["you"]["shared_groups"][0]["groups"] == 1
    assert not window.progress.isVisible()
    names = [window.pages.tabText(i) for i in range(window.pages.count())]
    assert names == ["You", "Replies", "Mood", "People", "Chats"]
    assert len(window.findChildren(QtCharts.QChartView)) >= 5
    card = tmp_path / "card.png"
    window.pages.setCurrentIndex(1)
    assert window.save_image(card)
    assert card.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = QtGui.QImage(str(card))
    assert image.width() > 300
    assert image.height() > 300
    if os.environ.get("PARLEY_SCREENSHOTS"):
        window.resize(960, 760)
        window.pages.setCurrentIndex(0)
        QtWidgets.QApplication.processEvents()
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(SCREENSHOT), "PNG")


def test_bad_file_shows_the_error_in_the_window(
    window: AnalyticsWindow, tmp_path: Path, qtbot: object
) -> None:
    bad = tmp_path / "result.json"
    bad.write_text("{ not json", encoding="utf-8")
    with qtbot.waitSignal(window.failed, timeout=20_000) as blocker:  # type: ignore[attr-defined]
        window.load([bad])
    assert str(bad) in blocker.args[0]
    assert window.error.isVisible()
    assert "line 1" in window.error.text()
    assert window.pages.count() == 0
    assert window.open_button.isEnabled()


def test_dropping_a_file_imports_it(
    window: AnalyticsWindow, story_chat: Path, qtbot: object
) -> None:
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(story_chat))])
    position = QtCore.QPointF(window.width() / 2, window.height() / 2)
    buttons = QtCore.Qt.MouseButton.LeftButton
    modifiers = QtCore.Qt.KeyboardModifier.NoModifier
    enter = QtGui.QDragEnterEvent(
        position.toPoint(), QtCore.Qt.DropAction.CopyAction, mime, buttons, modifiers
    )
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QtGui.QDropEvent(position, QtCore.Qt.DropAction.CopyAction, mime, buttons, modifiers)
    with qtbot.waitSignal(window.report_ready, timeout=20_000) as blocker:  # type: ignore[attr-defined]
        window.dropEvent(drop)
    assert blocker.args[0]["chats"][0]["name"] == "Alex"
