"""The websocket server: accept, read frames, dispatch, answer errors.

Each connection's frames are handled one after another, in order, so a client may
pipeline requests and still get replies (and their effects) in the order it sent them.
Nothing a peer sends can stop the loop: unreadable frames, refusals and even bugs in a
handler become ``error`` frames, and the connection keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import ssl
import sys
from datetime import timedelta
from typing import TYPE_CHECKING

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from parley.shared import protocol as p
from parley.shared.errors import ErrorCode, ParleyError

from .auth import Accounts
from .connection import Connection, Outbox
from .event_store import EventStore
from .event_tail import EventTail
from .handlers import Services, dispatch, forget_connection
from .maintenance import run_periodically
from .rate_limit import SendLimiter, TokenBucket
from .settings import Settings
from .store.factory import open_store
from .store.interface import Store

if TYPE_CHECKING:
    from .moderation.worker import ModerationWorker

log = logging.getLogger(__name__)

# websockets closes the connection (1009) above this; frames between the protocol's
# limit and this one get a FRAME_TOO_LARGE error frame and the connection stays open.
WEBSOCKET_MAX_SIZE = 2 * p.MAX_FRAME_BYTES

INTERNAL_ERROR_TEXT = "The server failed to handle this request; it has been logged."


class ParleyServer:
    """A running server: its listening socket, its services, its maintenance job."""

    def __init__(self, settings: Settings, services: Services) -> None:
        self.settings = settings
        self.services = services
        self._server: Server | None = None
        self._maintenance: asyncio.Task[None] | None = None
        self.moderation: ModerationWorker | None = None
        self.tail: EventTail | None = None

    @property
    def port(self) -> int:
        """The bound port (useful when the settings asked for port 0)."""
        assert self._server is not None
        port: int = next(iter(self._server.sockets)).getsockname()[1]
        return port

    @property
    def url(self) -> str:
        scheme = "wss" if self.settings.tls_cert else "ws"
        return f"{scheme}://{self.settings.host}:{self.port}"

    async def start(self, *, maintenance: bool = True) -> None:
        if self.settings.event_tail_interval_ms > 0:
            # Before the first subscriber: the tail starts at the log's end, and an event
            # committed elsewhere between a subscriber's snapshot and that start would be
            # in neither.
            interval_s = self.settings.event_tail_interval_ms / 1000.0
            self.tail = EventTail(
                self.services.store, self.services.events.publish, interval_s=interval_s
            )
            await self.tail.start()
            # Another process's event reaches a stream within an interval and a read.
            self.services.events.gap_wait_s = 2 * interval_s
        try:
            self._server = await serve(
                self._serve_connection,
                self.settings.host,
                self.settings.port,
                ssl=_ssl_context(self.settings),
                max_size=WEBSOCKET_MAX_SIZE,
                compression=None,  # per-connection zlib state would dominate idle memory
            )
        except BaseException:
            if self.tail is not None:
                await self.tail.stop()
            raise
        if maintenance:
            self._maintenance = asyncio.get_running_loop().create_task(
                run_periodically(self.services.store, self.settings), name="maintenance"
            )
        if self.settings.moderation_enabled:
            # Imported only when wanted: the worker's model and LLM client cost ~90 MB.
            from .moderation.worker import start_in_server

            self.moderation = start_in_server(self.services)
        log.info("serving on %s", self.url)

    async def close(self) -> None:
        """Stop accepting, close every connection, stop the background tasks, close the store."""
        if self.moderation is not None:
            await self.moderation.stop()
        if self.tail is not None:
            await self.tail.stop()
        if self._maintenance is not None:
            self._maintenance.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._maintenance
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self.services.store.close()
        log.info("server stopped")

    async def _serve_connection(self, ws: ServerConnection) -> None:
        settings = self.settings
        conn = Connection(
            ws,
            Outbox(ws, max_buffer=settings.max_outbound_bytes),
            TokenBucket(rate=settings.frames_per_second, burst=settings.frame_burst),
        )
        try:
            async for data in ws:
                await self._on_frame(conn, data)
        except ConnectionClosed:
            pass
        finally:
            forget_connection(self.services, conn)

    async def _on_frame(self, conn: Connection, data: str | bytes) -> None:
        request_id: p.RequestId | None = None
        try:
            try:
                conn.frames.take("frames")
                _check_size(data)
                frame = p.decode_client_frame(data)
            except ParleyError:
                request_id = p.request_id_of(data)
                raise
            request_id = frame.id
            await dispatch(self.services, conn, frame)
        except ParleyError as exc:
            conn.outbox.send(p.Error(id=request_id, code=exc.code, message=exc.message))
        except Exception:
            log.exception("request %r of user %s failed", request_id, conn.user and conn.user.id)
            conn.outbox.send(
                p.Error(id=request_id, code=ErrorCode.INTERNAL_ERROR, message=INTERNAL_ERROR_TEXT)
            )


def _check_size(data: str | bytes) -> None:
    """FRAME_TOO_LARGE over the protocol's limit in UTF-8 bytes (cheap for short frames)."""
    if isinstance(data, str) and len(data) * 4 > p.MAX_FRAME_BYTES:
        size = len(data.encode())
    else:
        size = len(data)
    if size > p.MAX_FRAME_BYTES:
        raise ParleyError(
            ErrorCode.FRAME_TOO_LARGE, f"Frames are limited to {p.MAX_FRAME_BYTES} bytes."
        )


def _ssl_context(settings: Settings) -> ssl.SSLContext | None:
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(settings.tls_cert, settings.tls_key)
    return context


def build_services(settings: Settings, store: Store) -> Services:
    return Services(
        settings=settings,
        store=store,
        events=EventStore(),
        accounts=Accounts(
            store,
            session_ttl=timedelta(days=settings.session_days),
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        ),
        sends=SendLimiter(per_minute=settings.messages_per_minute, burst=settings.send_burst),
    )


async def start_server(settings: Settings, *, maintenance: bool = True) -> ParleyServer:
    """Open the store (applying migrations), then listen; the caller closes it."""
    store = open_store(settings.database_url)
    await store.open()
    server = ParleyServer(settings, build_services(settings, store))
    try:
        await server.start(maintenance=maintenance)
    except BaseException:
        await store.close()
        raise
    return server


async def serve_forever(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then shut down cleanly."""
    server = await start_server(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.close()


def run(settings: Settings) -> None:
    """Run the server on uvloop when available and wanted, else on asyncio's loop."""
    # The store's writer and reader threads need the interpreter between their SQLite
    # calls; with the default 5 ms switch interval a busy event loop makes each of them
    # wait up to 5 ms per statement, and commits fall behind (docs/performance.md).
    sys.setswitchinterval(settings.switch_interval_ms / 1000.0)
    loop_factory = None
    if settings.use_uvloop:
        try:
            import uvloop

            loop_factory = uvloop.new_event_loop
        except ImportError:
            log.info("uvloop is not installed; using asyncio's event loop")
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(serve_forever(settings))
