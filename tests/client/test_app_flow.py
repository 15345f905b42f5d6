"""`parley` itself: the bundled server starts, sign-in leads to the main window, the
saved session is resumed on the next start, and sign-out returns to the dialog."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from parley.client.app import ParleyApp
from parley.client.credentials import TokenStore
from parley.client.qt import QtCore
from parley.client.settings import ClientSettings

PASSWORD = "correct horse battery staple"
WAIT_MS = 15_000
CHEAP_HASHES = {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "use_uvloop": False}


def test_first_run_signs_up_then_resumes_then_signs_out(
    qtbot: Any, client_home: Path, run: Callable[..., Any]
) -> None:
    tokens = TokenStore(fallback_file=client_home / "tokens.json", use_keyring=False)
    app = ParleyApp(ClientSettings(), tokens=tokens, server_overrides=CHEAP_HASHES)
    run(app.start(), timeout=30)
    assert app.bundled is not None
    assert app.bundled.running
    assert (client_home / "data" / "server" / "parley.db").exists()
    login = app.login
    assert login is not None
    qtbot.addWidget(login)
    login.set_registering(True)
    qtbot.keyClicks(login.username, "maya")
    qtbot.keyClicks(login.password, PASSWORD)
    qtbot.mouseClick(login.submit_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.window is not None, timeout=WAIT_MS)
    assert app.window is not None
    assert app.window.session.me.username == "maya"
    assert tokens.load("bundled") is not None
    run(app.shutdown(), timeout=30)
    assert not app.bundled.running

    # Next start: same database, the saved token, straight to the main window.
    again = ParleyApp(ClientSettings(), tokens=tokens, server_overrides=CHEAP_HASHES)
    run(again.start(), timeout=30)
    assert again.login is None
    assert again.window is not None
    assert again.window.session.me.username == "maya"

    run(again.sign_out(), timeout=30)
    assert tokens.load("bundled") is None
    assert again.window is None
    assert again.login is not None
    qtbot.addWidget(again.login)
    run(again.shutdown(), timeout=30)
