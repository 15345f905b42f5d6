"""A client that stops reading is cut off; everyone else keeps being served."""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket

from websockets.frames import Frame, Opcode

from parley.shared import protocol as p
from parley.shared.events import MessageReceived

PASSWORD = "tr0ub4dor&3-staple"


async def test_a_client_that_stops_reading_is_closed_and_others_carry_on(
    launch, connect, caplog
) -> None:
    caplog.set_level(logging.WARNING, logger="parley.server.connection")
    server = await launch(
        max_outbound_bytes=64 * 1024, send_burst=10_000, frame_burst=100_000, frames_per_second=1e5
    )
    url = f"ws://127.0.0.1:{server.port}"
    sender = await connect(url=url)
    await sender.ok("register", username="sender", password=PASSWORD)
    watcher = await connect(url=url)
    watcher_id = (await watcher.ok("register", username="watcher", password=PASSWORD)).user.id
    await watcher.ok("subscribe")

    # The sleeper speaks just enough websocket to sign in and subscribe, on a socket with
    # a tiny receive buffer, and then never reads: the server's unsent bytes pile up.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", server.port))
    try:
        await loop.sock_sendall(
            sock,
            b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n",
        )
        response = b""
        while b"\r\n\r\n" not in response:
            response += await loop.sock_recv(sock, 1)
        assert response.startswith(b"HTTP/1.1 101")
        for request in (
            p.Hello(id=1, versions=[1]),
            p.Register(id=2, username="sleeper", password=PASSWORD),
            p.Subscribe(id=3),
        ):
            frame = Frame(Opcode.TEXT, p.encode_bytes(request))
            await loop.sock_sendall(sock, frame.serialize(mask=True, extensions=[]))
        found = await sender.ok("find_users", query="sleeper")
        while not found.users:  # registered once the server has handled its frames
            found = await sender.ok("find_users", query="sleeper")
        sleeper_id = found.users[0].id

        async def cut_off() -> None:
            count = itertools.count()
            while "does not read its frames" not in caplog.text:
                for _ in range(50):
                    await sender.send_frame(
                        "send",
                        client_message_id=f"x{next(count)}",
                        to=sleeper_id,
                        text="y" * 1000,
                    )
                await sender.ok("ping")

        await asyncio.wait_for(cut_off(), 20)
        live = await sender.ok("send", client_message_id="w", to=watcher_id, text="still here")
        received = await watcher.event(MessageReceived)
        assert received.event.message.id == live.message.id
    finally:
        sock.close()
