"""The bundled server: Parley's own server, run inside the app on an embedded SQLite file.

It runs on its own thread with its own asyncio loop, exactly as ``parley serve`` would
in another process, and the app talks to it over a websocket on 127.0.0.1 like to any
server. The UI thread therefore never waits for a database write, and the code path
the user exercises is the one a team deployment uses.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from parley.server.app import ParleyServer

T = TypeVar("T")

log = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0


class BundledServerError(RuntimeError):
    """The bundled server could not start (the message says why, for a dialog)."""


class BundledServer:
    """Start with :meth:`start` (blocks until listening), stop with :meth:`stop`.

    ``overrides`` are server settings (``parley.server.settings.Settings`` fields);
    tests lower the password-hash cost with them, for instance.
    """

    def __init__(self, database: Path, *, port: int = 0, **overrides: Any) -> None:
        self.database = database
        self.port = port
        self._overrides = overrides
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.url = ""
        self._server: ParleyServer | None = None

    def start(self) -> str:
        """Start listening and return the ws:// URL; reuses the last port on a restart."""
        if self._thread is not None:
            raise RuntimeError("the bundled server is already running")
        self.database.parent.mkdir(parents=True, exist_ok=True)
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._run, name="parley-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise BundledServerError("The bundled server did not start in time.")
        error = self._failure()
        if error is not None:
            self._thread.join()
            self._thread = None
            raise BundledServerError(f"The bundled server could not start: {error}")
        return self.url

    def stop(self) -> None:
        """Close every connection and the database, and wait for the thread to end."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None:
            return
        if loop is not None and stop is not None:
            loop.call_soon_threadsafe(stop.set)
        thread.join(START_TIMEOUT_S)
        self._thread = None

    def call(self, operation: Callable[[ParleyServer], Awaitable[T]]) -> T:
        """Run ``operation(server)`` on the server's own loop and wait for its result.

        For administration from the app's side (and for tests): a store operation must
        run on the loop that owns the store.
        """
        loop, server = self._loop, self._server
        if loop is None or server is None:
            raise RuntimeError("the bundled server is not running")

        async def run() -> T:
            return await operation(server)

        return asyncio.run_coroutine_threadsafe(run(), loop).result(START_TIMEOUT_S)

    def _failure(self) -> BaseException | None:
        """What the server thread failed with (set on that thread)."""
        return self._error

    @property
    def running(self) -> bool:
        return self._thread is not None

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to start(), never lost
            log.exception("bundled server failed")
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        from parley.server.app import start_server
        from parley.server.settings import Settings

        settings = Settings(
            host="127.0.0.1",
            port=self.port,
            database_url=f"sqlite://{self.database.resolve()}",
            **self._overrides,
        )
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await start_server(settings)
        self._server = server
        try:
            self.port = server.port
            self.url = server.url
            self._ready.set()
            await self._stop.wait()
        finally:
            self._server = None
            await server.close()
