"""The composer: Enter sends, Shift+Enter is a new line, the counter near the limit."""

from __future__ import annotations

from typing import Any

from parley.client.messages.composer import Composer
from parley.client.qt import QtCore


def test_enter_sends_and_shift_enter_starts_a_new_line(qtbot: Any) -> None:
    composer = Composer()
    qtbot.addWidget(composer)
    qtbot.keyClicks(composer.edit, "first line")
    qtbot.keyClick(
        composer.edit, QtCore.Qt.Key.Key_Return, QtCore.Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.keyClicks(composer.edit, "second")
    with qtbot.waitSignal(composer.send_requested) as sent:
        qtbot.keyClick(composer.edit, QtCore.Qt.Key.Key_Return)
    assert sent.args == ["first line\nsecond"]
    assert composer.text() == ""


def test_blank_text_is_not_sent(qtbot: Any) -> None:
    composer = Composer()
    qtbot.addWidget(composer)
    qtbot.keyClicks(composer.edit, "   ")
    with qtbot.assertNotEmitted(composer.send_requested):
        qtbot.keyClick(composer.edit, QtCore.Qt.Key.Key_Return)
    assert not composer.send_button.isEnabled()


def test_counter_appears_near_the_limit_and_blocks_over_it(qtbot: Any) -> None:
    composer = Composer()
    qtbot.addWidget(composer)
    composer.show()
    composer.set_max_length(1024)
    composer.edit.setPlainText("x" * 900)
    assert not composer.counter.isVisible()
    composer.edit.setPlainText("x" * 930)
    assert composer.counter.isVisible()
    assert composer.counter.text() == "930/1024"
    assert composer.send_button.isEnabled()
    composer.edit.setPlainText("x" * 1025)
    assert composer.counter.text() == "1025/1024"
    assert not composer.send_button.isEnabled()
    with qtbot.assertNotEmitted(composer.send_requested):
        composer.submit()
    assert composer.text() == "x" * 1025  # kept, so the user can shorten it
