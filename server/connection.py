"""One client connection: its outgoing frames and what it has proven so far.

Frames are written synchronously, in the order they are pushed, straight into
websockets' sans-I/O protocol and the transport: pushing an event from the publisher's
coroutine costs no task and no await, and replies, events and deltas never overtake one
another. A peer that stops reading is cut off once its unsent bytes pass a limit, so
one slow reader cannot grow the server's memory.
"""

from __future__ import annotations

import asyncio
import logging
import time

import msgspec
from websockets.asyncio.server import ServerConnection
from websockets.protocol import State

from parley.shared.models import User
from parley.shared.protocol import encode_bytes

from .chat_stream import ChatStream
from .rate_limit import TokenBucket

log = logging.getLogger(__name__)


class Outbox:
    """Ordered, non-blocking writes of text frames to one websocket.

    Frames pushed during one turn of the event loop leave in one socket write: an ack
    and the sender's own event, pushed back to back, cost one system call, not two.
    """

    __slots__ = ("_closing", "_loop", "_max_buffer", "_pending", "_ws")

    def __init__(self, ws: ServerConnection, *, max_buffer: int) -> None:
        self._ws = ws
        self._max_buffer = max_buffer
        self._closing = False
        self._pending = False
        self._loop = asyncio.get_running_loop()

    def push(self, data: bytes) -> None:
        """Queue one encoded frame for sending; dropped once the connection is closing."""
        ws = self._ws
        if ws.protocol.state is not State.OPEN or self._closing:
            return
        ws.protocol.send_text(data)
        if not self._pending:
            self._pending = True
            self._loop.call_soon(self._flush)

    def send(self, frame: msgspec.Struct) -> None:
        self.push(encode_bytes(frame))

    def _flush(self) -> None:
        self._pending = False
        ws = self._ws
        if ws.transport.is_closing():
            return
        chunks = ws.protocol.data_to_send()
        if all(chunks):
            ws.transport.write(b"".join(chunks))
        else:  # an end-of-stream marker (b"") is among them: write them as websockets does
            for chunk in chunks:
                if chunk:
                    ws.transport.write(chunk)
                elif ws.transport.can_write_eof():
                    ws.transport.write_eof()
                else:
                    ws.transport.close()
        if ws.transport.get_write_buffer_size() > self._max_buffer and not self._closing:
            self._closing = True
            log.warning("closing %s: it does not read its frames", ws.remote_address)
            self._loop.create_task(ws.close(1008, "too many unread frames"), name="close-slow")


class Connection:
    """The state of one websocket: greeted, signed in as whom, streaming or not."""

    __slots__ = (
        "expires_at",
        "frames",
        "greeted",
        "outbox",
        "stream",
        "token_hash",
        "user",
        "ws",
    )

    def __init__(self, ws: ServerConnection, outbox: Outbox, frames: TokenBucket) -> None:
        self.ws = ws
        self.outbox = outbox
        self.frames = frames
        self.greeted = False
        self.user: User | None = None
        self.token_hash: str | None = None
        self.expires_at = 0.0  # epoch seconds
        self.stream: ChatStream | None = None

    @property
    def session_live(self) -> bool:
        return self.user is not None and time.time() < self.expires_at

    def sign_in(self, user: User, token_hash: str, expires_at: float) -> None:
        self.user = user
        self.token_hash = token_hash
        self.expires_at = expires_at

    def sign_out(self) -> None:
        self.stop_stream()
        self.user = None
        self.token_hash = None
        self.expires_at = 0.0

    def stop_stream(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None
