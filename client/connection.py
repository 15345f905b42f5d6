"""One websocket session with a Parley server, on the asyncio loop qasync runs in Qt.

The connection speaks :mod:`parley.shared.protocol` and nothing else: hello, sign in
(password once, then the saved token), subscribe from the last applied sequence, and
requests matched to replies by id. Pushed frames (chat-state snapshots and deltas,
numbered events) leave as Qt signals, so models update on the UI thread between two
network reads and never wait on the network.

When an established connection drops it reconnects by itself with exponential backoff
and jitter, and resumes from the last sequence it saw (Zulip's ``last_event_id``); a
token the server no longer accepts ends the session instead, and the app asks the
user to sign in again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import ssl
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

import msgspec
import websockets
from websockets.asyncio.client import ClientConnection

from parley.shared import protocol
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.models import User

from .qt import QtCore, Signal

log = logging.getLogger(__name__)

CLIENT_NAME = "parley-desktop/0.1"
REQUEST_TIMEOUT_S = 30.0

# A server that answers these to a saved token wants a new sign-in, not a retry.
SESSION_ENDING_CODES = frozenset(
    {ErrorCode.AUTH_FAILED, ErrorCode.SESSION_EXPIRED, ErrorCode.NOT_AUTHENTICATED}
)

_NETWORK_ERRORS = (OSError, TimeoutError, websockets.WebSocketException)

FrameT = TypeVar("FrameT")


class ConnectionStatus(StrEnum):
    OFFLINE = "offline"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"


class ConnectionLost(Exception):
    """The connection closed before the reply came; the request may or may not have run.

    Only idempotent requests (a send with its client message id, pin, archive, mark
    read) are safe to repeat blindly; callers decide.
    """


class PasswordAuth(msgspec.Struct, frozen=True, kw_only=True):
    username: str
    password: str
    register: bool = False
    display_name: str | None = None


class TokenAuth(msgspec.Struct, frozen=True, kw_only=True):
    username: str
    token: str


Auth = PasswordAuth | TokenAuth


def backoff_delay(
    attempt: int, *, base: float = 0.5, cap: float = 15.0, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait before reconnect attempt ``attempt`` (0-based).

    Exponential so a server that is down is not hammered, capped so a user who comes
    back online waits at most ``cap``, and jittered (half fixed, half random) so the
    clients of a restarted server do not all return in the same millisecond.
    """
    ceiling = min(cap, base * float(2 ** min(attempt, 30)))
    return ceiling / 2 + rand() * ceiling / 2


def expect(reply: object, kind: type[FrameT]) -> FrameT:
    """The reply as the frame type a request must answer with; a protocol bug otherwise."""
    if not isinstance(reply, kind):
        raise ParleyError(
            ErrorCode.INTERNAL_ERROR,
            f"The server answered with {type(reply).__name__}, not {kind.__name__}.",
        )
    return reply


class Connection(QtCore.QObject):
    """The client's websocket session; see the module docstring for its life cycle."""

    status_changed = Signal(str)  # a ConnectionStatus value
    subscribed = Signal(bool)  # resumed: False means history must be reloaded
    chat_state_received = Signal(object)  # ChatState
    chat_state_delta_received = Signal(object)  # ChatStateDelta
    event_received = Signal(int, object)  # seq, Event
    session_ended = Signal(str, str)  # code, sentence: sign in again
    server_error = Signal(str, str)  # an error frame that answered no request

    def __init__(
        self,
        url: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_backoff: float = 15.0,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.url = url
        self._ssl = ssl_context
        self._max_backoff = max_backoff
        self._status = ConnectionStatus.OFFLINE
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._closing = False
        self.user: User | None = None
        self.token: str | None = None
        self.limits: protocol.Limits | None = None
        self.last_seq: int | None = None  # resume point sent with subscribe
        self._event_seq = 0  # highest event frame applied (drops replayed duplicates)

    @property
    def status(self) -> ConnectionStatus:
        return self._status

    @property
    def is_connected(self) -> bool:
        return self._status is ConnectionStatus.CONNECTED

    # --- life cycle -------------------------------------------------------------------

    async def open(self, auth: Auth) -> User:
        """Connect and sign in once, then stay connected until :meth:`close`.

        Raises ParleyError when the server refuses (wrong password, name taken) and
        OSError or a websockets error when it cannot be reached: the sign-in dialog
        shows either. Only after this first success does the connection reconnect on
        its own.
        """
        if self._keeper is not None:
            raise RuntimeError("the connection is already open")
        self._closing = False
        self._set_status(ConnectionStatus.CONNECTING)
        try:
            await self._establish(auth)
        except BaseException:
            await self._drop()
            self._set_status(ConnectionStatus.OFFLINE)
            raise
        self._keeper = asyncio.create_task(self._keep_alive(), name="parley-connection")
        return self._require_user()

    async def close(self, *, logout: bool = False) -> None:
        """Stop for good; with ``logout`` the server revokes the token first."""
        self._closing = True
        if logout and self._ws is not None:
            with contextlib.suppress(ParleyError, ConnectionLost, *_NETWORK_ERRORS):
                await self.request(protocol.Logout)
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        await self._drop()
        self._set_status(ConnectionStatus.OFFLINE)

    async def _establish(self, auth: Auth) -> None:
        ws = await websockets.connect(
            self.url,
            ssl=self._ssl,
            max_size=protocol.MAX_FRAME_BYTES * 16,
            open_timeout=10,
        )
        self._ws = ws
        self._reader = asyncio.create_task(self._read(ws), name="parley-reader")
        welcome = expect(
            await self.request(
                protocol.Hello, versions=list(protocol.SUPPORTED_VERSIONS), client=CLIENT_NAME
            ),
            protocol.Welcome,
        )
        self.limits = welcome.limits
        session = expect(await self._authenticate(auth), protocol.Session)
        if self.user is not None and session.user.id != self.user.id:
            self.last_seq = None  # another account: nothing to resume
            self._event_seq = 0
        self.user = session.user
        if session.token:
            self.token = session.token
        reply = expect(
            await self.request(protocol.Subscribe, since=self.last_seq), protocol.Subscribed
        )
        self._set_status(ConnectionStatus.CONNECTED)
        self.subscribed.emit(reply.resumed)

    async def _authenticate(self, auth: Auth) -> object:
        if isinstance(auth, TokenAuth):
            self.token = auth.token
            return await self.request(protocol.Authenticate, token=auth.token)
        if auth.register:
            return await self.request(
                protocol.Register,
                username=auth.username,
                password=auth.password,
                display_name=auth.display_name,
                device=CLIENT_NAME,
            )
        return await self.request(
            protocol.Login, username=auth.username, password=auth.password, device=CLIENT_NAME
        )

    async def _keep_alive(self) -> None:
        """Wait for the connection to drop, then reconnect with the token until closed."""
        attempt = 0
        while not self._closing:
            if self._reader is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await self._reader
            if self._stopped():
                return
            await self._drop()
            self._set_status(ConnectionStatus.RECONNECTING)
            await asyncio.sleep(backoff_delay(attempt, cap=self._max_backoff))
            attempt += 1
            user, token = self.user, self.token
            if user is None or token is None:
                return
            try:
                await self._establish(TokenAuth(username=user.username, token=token))
            except ParleyError as exc:
                if exc.code in SESSION_ENDING_CODES:
                    await self._drop()
                    self._set_status(ConnectionStatus.OFFLINE)
                    self.session_ended.emit(exc.code.value, exc.message)
                    return
                log.warning("Reconnect refused (%s): %s", exc.code, exc.message)
            except (ConnectionLost, *_NETWORK_ERRORS) as exc:
                log.info("Reconnect attempt %d to %s failed: %s", attempt, self.url, exc)
            except Exception:
                # A bug (an unreadable reply, say): report it, and keep trying, so one
                # bad exchange does not leave the user offline for good.
                log.exception("Reconnect attempt %d to %s failed unexpectedly", attempt, self.url)
            else:
                attempt = 0

    async def _drop(self) -> None:
        ws, self._ws = self._ws, None
        reader, self._reader = self._reader, None
        if ws is not None:
            with contextlib.suppress(*_NETWORK_ERRORS):
                await ws.close()
        if reader is not None and reader is not asyncio.current_task():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        self._fail_pending()

    def _fail_pending(self) -> None:
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(ConnectionLost("The connection to the server was lost."))

    def _stopped(self) -> bool:
        """Whether close() was called (possibly while we awaited)."""
        return self._closing

    def _set_status(self, status: ConnectionStatus) -> None:
        if status is not self._status:
            self._status = status
            self.status_changed.emit(status.value)

    def _require_user(self) -> User:
        if self.user is None:
            raise ConnectionLost("Not signed in.")
        return self.user

    # --- requests ---------------------------------------------------------------------

    async def request(
        self,
        frame_type: Callable[..., msgspec.Struct],
        **fields: Any,
    ) -> object:
        """Send one request frame and wait for the reply with its id.

        Raises ParleyError for an error reply (the server's code and sentence) and
        ConnectionLost when the connection is down or drops first.
        """
        ws = self._ws
        if ws is None:
            raise ConnectionLost("Not connected to the server.")
        request_id = next(self._ids)
        frame = frame_type(id=request_id, **fields)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await ws.send(protocol.encode(frame))
            return await asyncio.wait_for(future, REQUEST_TIMEOUT_S)
        except websockets.ConnectionClosed as exc:
            raise ConnectionLost("The connection to the server was lost.") from exc
        finally:
            self._pending.pop(request_id, None)

    # --- pushes -----------------------------------------------------------------------

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                try:
                    frame = protocol.decode_server_frame(raw)
                except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                    log.error("Unreadable frame from the server: %s", exc)
                    continue
                self._dispatch(frame)
        except websockets.ConnectionClosed as exc:
            log.info("Connection to %s closed: %s", self.url, exc)
        finally:
            self._fail_pending()

    def _dispatch(self, frame: protocol.ServerFrame) -> None:
        if isinstance(frame, protocol.EventFrame):
            if frame.seq <= self._event_seq:
                return  # already applied before a reconnect: a replay must not duplicate
            self._event_seq = frame.seq
            self._advance(frame.seq)
            self.event_received.emit(frame.seq, frame.event)
            return
        if isinstance(frame, protocol.ChatStateSnapshot):
            self._advance(frame.state.version)
            self.chat_state_received.emit(frame.state)
            if frame.id is not None:
                self._resolve(frame.id, frame)
            return
        if isinstance(frame, protocol.ChatStateDeltaFrame):
            self._advance(frame.delta.version)
            self.chat_state_delta_received.emit(frame.delta)
            return
        if isinstance(frame, protocol.Error):
            error = ParleyError(frame.code, frame.message)
            if frame.id is None or not self._resolve(frame.id, error):
                log.warning("Server error %s: %s", frame.code, frame.message)
                self.server_error.emit(frame.code.value, frame.message)
            return
        if not self._resolve(frame.id, frame):
            log.debug("Reply to an unknown request %r", frame.id)

    def _advance(self, seq: int) -> None:
        """Move the resume point: everything up to ``seq`` is reflected in what we hold.

        Snapshots and deltas move it too (they carry the sequence they were read at),
        so a client that saw no event frame still resumes instead of reloading.
        """
        if self.last_seq is None or seq > self.last_seq:
            self.last_seq = seq

    def _resolve(self, request_id: protocol.RequestId, outcome: object) -> bool:
        future = self._pending.get(request_id) if isinstance(request_id, int) else None
        if future is None or future.done():
            return False
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
        return True
