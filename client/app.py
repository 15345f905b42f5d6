"""``parley`` with no subcommand: the desktop app.

Its life is a small async flow on the qasync loop: pick the server (the bundled one
on this machine unless "Connect to server…" chose a team's), resume the saved session
or ask the user to sign in, show the main window, and go back to signing in after
"Sign out" or a server change. Every network wait is an ``await`` on the loop Qt
runs, so the window never freezes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import sys
from collections.abc import Coroutine
from typing import Any

import qasync
import websockets

from parley.shared.errors import ParleyError

from . import settings as client_settings
from .bundled_server import BundledServer, BundledServerError
from .chat_session import ChatSession
from .connect_dialog import ConnectDialog
from .connection import Connection, ConnectionLost, TokenAuth
from .credentials import TokenStore
from .icon import app_icon
from .login_dialog import LoginDialog
from .main_window import MainWindow
from .outbox import Outbox
from .qt import QtCore, QtWidgets
from .theme import STYLE_SHEET

log = logging.getLogger(__name__)

BUNDLED_KEY = "bundled"


class NoDisplay(RuntimeError):
    """No graphical display to open a window on (a server or a container)."""


class ParleyApp:
    """The app's flow; :meth:`run` returns when the user quits."""

    def __init__(
        self,
        settings: client_settings.ClientSettings,
        *,
        tokens: TokenStore | None = None,
        server_overrides: dict[str, object] | None = None,
    ) -> None:
        self.settings = settings
        self.tokens = tokens or TokenStore()
        self.server_overrides = server_overrides or {}
        self.bundled: BundledServer | None = None
        self.url = ""
        self.login: LoginDialog | None = None
        self.window: MainWindow | None = None
        self.session: ChatSession | None = None
        self._quit: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def server_key(self) -> str:
        """Tokens are saved per server; the bundled one changes port, so it has a name."""
        return BUNDLED_KEY if self.settings.uses_bundled_server else self.url

    @property
    def server_label(self) -> str:
        if self.settings.uses_bundled_server:
            return "Parley's built-in server on this computer"
        return self.url

    async def run(self) -> None:
        self._quit = asyncio.Event()
        try:
            await self.start()
            await self._quit.wait()
        finally:
            await self.shutdown()

    def quit(self) -> None:
        if self._quit is not None:
            self._quit.set()

    async def start(self) -> None:
        """Choose the server, then resume the saved session or show the sign-in dialog."""
        try:
            self.url = await self._server_url()
        except BundledServerError as exc:
            QtWidgets.QMessageBox.critical(None, "Parley", str(exc))
            self.quit()
            return
        saved = self.tokens.load(self.server_key)
        if saved is not None:
            username, token = saved
            connection = Connection(self.url)
            try:
                await connection.open(TokenAuth(username=username, token=token))
            except ParleyError as exc:
                log.info("Saved session refused (%s); asking to sign in", exc.code)
                self.tokens.delete(self.server_key)
            except (OSError, TimeoutError, ConnectionLost, websockets.WebSocketException) as exc:
                log.info("Cannot reach %s with the saved session: %s", self.url, exc)
            else:
                self.show_main(connection)
                return
        self.show_login()

    async def _server_url(self) -> str:
        if not self.settings.uses_bundled_server:
            assert self.settings.server_url is not None
            return self.settings.server_url
        if self.bundled is None:
            database = client_settings.data_dir() / "server" / "parley.db"
            self.bundled = BundledServer(
                database, port=self.settings.bundled_port, **self.server_overrides
            )
        if not self.bundled.running:
            await asyncio.to_thread(self.bundled.start)
        return self.bundled.url

    def show_login(self) -> None:
        login = LoginDialog(
            self.url,
            self.server_label,
            self.server_key,
            self.tokens,
            username=self.settings.last_username,
        )
        login.setWindowIcon(app_icon())
        login.signed_in.connect(self.show_main)
        login.change_server_requested.connect(self.change_server)
        login.rejected.connect(self._login_closed)
        self.login = login
        login.show()
        login.raise_()

    def _login_closed(self) -> None:
        if self.window is None:
            self.quit()

    def show_main(self, connection: Connection) -> None:
        user = connection.user
        assert user is not None
        if self.login is not None:
            self.login.hide()
            self.login.deleteLater()
            self.login = None
        if self.settings.last_username != user.username:
            self.settings.last_username = user.username
            client_settings.save_settings(self.settings)
        slug = re.sub(r"[^A-Za-z0-9]+", "_", self.server_key).strip("_")
        outbox = Outbox(client_settings.data_dir() / "outbox" / f"{slug}-{user.id}.json")
        self.session = ChatSession(connection, outbox, user)
        window = MainWindow(self.session, server_label=self.server_label)
        window.setWindowIcon(app_icon())
        window.sign_out_requested.connect(lambda: self._spawn(self.sign_out()))
        window.connect_requested.connect(self.change_server)
        window.closed.connect(self._window_closed)
        self.window = window
        if self.tokens.fallback_warning:
            window.show_notice(self.tokens.fallback_warning)
        window.show()

    def _window_closed(self) -> None:
        if self.window is not None:  # closed by the user, not by sign-out
            self.quit()

    async def _close_session(self) -> None:
        session, self.session = self.session, None
        window, self.window = self.window, None
        if window is not None:
            window.close()
            window.deleteLater()
        if session is not None:
            await session.aclose()
            await session.connection.close()

    async def sign_out(self) -> None:
        session = self.session
        if session is not None:
            await session.aclose()
            await session.connection.close(logout=True)
        self.tokens.delete(self.server_key)
        await self._close_session()
        self.show_login()

    def change_server(self) -> None:
        parent = self.window or self.login
        dialog = ConnectDialog(self.settings.server_url, parent)
        dialog.accepted.connect(lambda: self._spawn(self._switch_server(dialog.server_url)))
        dialog.open()

    async def _switch_server(self, url: str | None) -> None:
        if url == self.settings.server_url:
            return
        self.settings.server_url = url
        client_settings.save_settings(self.settings)
        if self.login is not None:
            self.login.hide()
            self.login.deleteLater()
            self.login = None
        await self._close_session()
        if url is not None and self.bundled is not None:
            await asyncio.to_thread(self.bundled.stop)
        await self.start()

    async def shutdown(self) -> None:
        await self._close_session()
        if self.bundled is not None:
            await asyncio.to_thread(self.bundled.stop)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            assert exc is not None
            sys.excepthook(type(exc), exc, exc.__traceback__)


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    platform: str = sys.platform
    if platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def make_application() -> QtWidgets.QApplication:
    existing = QtWidgets.QApplication.instance()
    app = existing if isinstance(existing, QtWidgets.QApplication) else None
    if app is None:
        app = QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("Parley")
    app.setApplicationDisplayName("Parley")
    app.setDesktopFileName("parley")
    app.setStyleSheet(STYLE_SHEET)
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)  # between sign-in and the main window, none is open
    return app


def run() -> int:
    """Open the desktop app and block until the user quits."""
    if not has_display():
        raise NoDisplay(
            "No display is available for the desktop app; `parley serve` runs the server alone."
        )
    app = make_application()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    parley = ParleyApp(client_settings.load_settings())
    # Ctrl+C in the terminal quits cleanly; Python only sees the signal when it runs,
    # so a timer lets it run a few times a second even when Qt is idle.
    signal.signal(signal.SIGINT, lambda *_: parley.quit())
    heartbeat = QtCore.QTimer()
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(250)
    with loop:
        loop.run_until_complete(parley.run())
    return 0
