"""A real Parley server on 127.0.0.1 (port 0, temporary SQLite file) and real clients.

The test client speaks the wire protocol through ``parley.shared.protocol`` over a
``websockets`` connection; it waits for frames with a timeout, never for a fixed time.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from parley.server.app import ParleyServer, start_server
from parley.server.settings import Settings
from parley.shared import protocol as p
from parley.shared.chat_state import apply_delta
from parley.shared.models import ChatState, User

TIMEOUT = 5.0
PASSWORD = "tr0ub4dor&3-staple"
_names = itertools.count(1)


class Client:
    """A websocket client that numbers requests and sorts replies from pushed frames."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.inbox: list[Any] = []  # frames read but not yet taken by a test
        self._ids = itertools.count(1)
        self.user: User | None = None
        self.token: str | None = None
        self.state: ChatState | None = None  # as rebuilt from snapshots and deltas

    async def send_raw(self, data: str | bytes) -> None:
        await self.ws.send(data)

    async def send_frame(self, kind: str, **fields: Any) -> int:
        request_id = next(self._ids)
        await self.ws.send(msgspec.json.encode({"type": kind, "id": request_id, **fields}).decode())
        return request_id

    async def request(self, kind: str, **fields: Any) -> Any:
        """Send a request and return the frame answering it (reply or error)."""
        request_id = await self.send_frame(kind, **fields)
        return await self.expect(lambda f: getattr(f, "id", None) == request_id)

    async def ok(self, kind: str, **fields: Any) -> Any:
        """A request that must succeed; fails the test with the error frame otherwise."""
        reply = await self.request(kind, **fields)
        assert not isinstance(reply, p.Error), reply
        return reply

    async def expect(self, predicate: Callable[[Any], bool] | type, within: float = TIMEOUT) -> Any:
        """The first frame (buffered or arriving within ``within`` seconds) that matches."""
        if isinstance(predicate, type):
            kind = predicate
            predicate = lambda f: isinstance(f, kind)  # noqa: E731
        for i, frame in enumerate(self.inbox):
            if predicate(frame):
                return self.inbox.pop(i)
        try:
            async with asyncio.timeout(within):
                while True:
                    frame = p.decode_server_frame(await self.ws.recv())
                    if predicate(frame):
                        return frame
                    self.inbox.append(frame)
        except TimeoutError:
            unmatched = [type(f).__name__ for f in self.inbox]
            raise AssertionError(f"no matching frame in time; unmatched: {unmatched}") from None

    async def event(self, kind: type, within: float = TIMEOUT, **match: Any) -> Any:
        """The next ``event`` frame of an event type whose fields match."""

        def wanted(frame: Any) -> bool:
            return (
                isinstance(frame, p.EventFrame)
                and isinstance(frame.event, kind)
                and all(getattr(frame.event, k) == v for k, v in match.items())
            )

        return await self.expect(wanted, within)

    async def track(self, version: int) -> ChatState:
        """Apply pushed snapshots and deltas, in order, until the state reaches a version."""
        is_state = (p.ChatStateSnapshot, p.ChatStateDeltaFrame)
        while self.state is None or self.state.version < version:
            frame = await self.expect(lambda f: isinstance(f, is_state))
            if isinstance(frame, p.ChatStateSnapshot):
                self.state = frame.state
            else:
                assert self.state is not None, "a delta before any snapshot"
                self.state = apply_delta(self.state, frame.delta)
        return self.state

    async def settle(self, fresh: ChatState, within: float = TIMEOUT) -> ChatState:
        """Apply pushed frames until the streamed state equals ``fresh`` (or time is up).

        A delta's version is the user's sequence when it was read, which may already
        count events whose own deltas are still on their way: so the check is that the
        stream arrives at the fresh state, not that it does so at one version.
        """
        is_state = (p.ChatStateSnapshot, p.ChatStateDeltaFrame)
        try:
            async with asyncio.timeout(within):
                while self.state != fresh:
                    frame = await self.expect(lambda f: isinstance(f, is_state), within)
                    if isinstance(frame, p.ChatStateSnapshot):
                        self.state = frame.state
                    else:
                        assert self.state is not None, "a delta before any snapshot"
                        self.state = apply_delta(self.state, frame.delta)
        except (TimeoutError, AssertionError):
            pass
        assert self.state == fresh
        return self.state

    async def nothing_more(self, kind: type) -> None:
        """No frame of a type is pending: a ping round trip flushes what was in flight."""
        await self.ok("ping")
        assert not [f for f in self.inbox if isinstance(f, kind)]

    async def close(self) -> None:
        await self.ws.close()


def make_settings(database: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "database_url": f"sqlite:///{database}",
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8,
        "use_uvloop": False,
        "coalesce_ms": 2.0,
        # The chat core alone: the moderation worker has its own tests, and its decisions
        # would add events these tests do not expect.
        "moderation_enabled": False,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's config file or server settings from PARLEY_*.

    Only the variables naming a server setting are cleared: others (such as the SQL
    Server test DSN) are the test environment's own.
    """
    for name in Settings.model_fields:
        monkeypatch.delenv(f"PARLEY_{name.upper()}", raising=False)
    monkeypatch.setenv("PARLEY_CONFIG_FILE", str(tmp_path / "absent-config.toml"))


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "parley.db"


@pytest.fixture
def settings(database: Path) -> Settings:
    return make_settings(database)


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[ParleyServer]:
    running = await start_server(settings, maintenance=False)
    yield running
    await running.close()


Connect = Callable[..., Awaitable[Client]]


@pytest.fixture
async def connect(server: ParleyServer) -> AsyncIterator[Connect]:
    """Open a client to the running server (greeted unless ``hello=False``)."""
    clients: list[Client] = []

    async def open_client(*, hello: bool = True, url: str | None = None) -> Client:
        ws = await websockets.connect(
            url or f"ws://127.0.0.1:{server.port}", max_size=None, max_queue=None
        )
        client = Client(ws)
        clients.append(client)
        if hello:
            welcome = await client.ok("hello", versions=[p.PROTOCOL_VERSION])
            assert isinstance(welcome, p.Welcome)
        return client

    yield open_client
    for client in clients:
        await client.close()


SignUp = Callable[..., Awaitable[Client]]


@pytest.fixture
async def sign_up(connect: Connect) -> SignUp:
    """Register a fresh user on a new connection; ``subscribe=True`` starts the stream."""

    async def register(name: str | None = None, *, subscribe: bool = False) -> Client:
        client = await connect()
        username = name or f"user{next(_names)}"
        session = await client.ok("register", username=username, password=PASSWORD)
        client.user, client.token = session.user, session.token
        if subscribe:
            await client.ok("subscribe")
            client.state = (await client.expect(p.ChatStateSnapshot)).state
        return client

    return register


@pytest.fixture
async def device(connect: Connect) -> Callable[[Client], Awaitable[Client]]:
    """Another signed-in, subscribed connection of the same user (multi-device)."""

    async def second(client: Client) -> Client:
        other = await connect()
        session = await other.ok("authenticate", token=client.token)
        other.user, other.token = session.user, client.token
        await other.ok("subscribe")
        other.state = (await other.expect(p.ChatStateSnapshot)).state
        return other

    return second


@pytest.fixture
async def moderator(server: ParleyServer, connect: Connect) -> Client:
    """A signed-in moderator (created the way ``parley user add --role moderator`` does)."""
    from parley.shared.models import Role

    await server.services.accounts.create_user(
        username="mod", password=PASSWORD, display_name="Moderator", role=Role.MODERATOR
    )
    client = await connect()
    session = await client.ok("login", username="mod", password=PASSWORD)
    client.user, client.token = session.user, session.token
    return client


Launch = Callable[..., Awaitable[ParleyServer]]


@pytest.fixture
async def launch(tmp_path: Path) -> AsyncIterator[Launch]:
    """Start another server with some settings changed; ``database`` picks the file."""
    running: list[ParleyServer] = []

    async def start(database: Path | None = None, **overrides: Any) -> ParleyServer:
        db = database or tmp_path / f"launched-{len(running)}.db"
        server = await start_server(make_settings(db, **overrides), maintenance=False)
        running.append(server)
        return server

    yield start
    for server in running:
        await server.close()


def url_of(server: ParleyServer) -> str:
    return f"ws://127.0.0.1:{server.port}"
