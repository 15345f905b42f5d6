"""The store contract suite's fixtures: one ``store`` per backend, real databases only.

SQLite always runs, on a fresh file in a temporary folder. SQL Server runs when
``PARLEY_TEST_MSSQL_DSN`` names one (Synapse switches its storage tests the same way);
the tests create their own uniquely named users, so they also hold on a shared database.
"""

from __future__ import annotations

import importlib
import itertools
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from parley.server.store.interface import SendOutcome, Store
from parley.server.store.sqlite import SqliteStore
from parley.shared.models import ConversationSummary, Role, User

MSSQL_DSN_VARIABLE = "PARLEY_TEST_MSSQL_DSN"
# Read at import: tests/server/conftest.py clears PARLEY_* variables before each test.
MSSQL_DSN = os.environ.get(MSSQL_DSN_VARIABLE, "")

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "mssql",
        id="mssql",
        marks=[
            pytest.mark.mssql,
            pytest.mark.skipif(
                not os.environ.get(MSSQL_DSN_VARIABLE),
                reason=f"{MSSQL_DSN_VARIABLE} is not set; no SQL Server here",
            ),
        ],
    ),
]


def make_backend(name: str, tmp_path: Path) -> Store:
    if name == "sqlite":
        return SqliteStore(tmp_path / "parley.db")
    # Imported only here: the SQL Server backend needs pyodbc and a reachable server.
    module = importlib.import_module("parley.server.store.mssql")
    # Each test starts from an empty database, as on a fresh SQLite file (rows only).
    importlib.import_module("parley.server.store.mssql_migrations").erase_data(MSSQL_DSN)
    store: Store = module.MssqlStore(MSSQL_DSN)
    return store


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    backend = make_backend(request.param, tmp_path)
    await backend.open()
    try:
        yield backend
    finally:
        await backend.close()


UserFactory = Callable[..., Awaitable[User]]


@pytest.fixture
def make_user(store: Store) -> UserFactory:
    """Create a user with a name unique to this run (so a shared database is fine)."""
    run = uuid.uuid4().hex[:8]
    counter = itertools.count(1)

    async def create(name: str = "user", *, role: Role = Role.USER) -> User:
        username = f"{name}_{run}_{next(counter)}"
        return await store.create_user(
            username=username,
            display_name=f"{name.title()} {run}",
            password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
            role=role,
        )

    return create


NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class Clock:
    """Message times that move forward a second per message, so ordering is exact."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def tick(self, seconds: float = 1.0) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


Sender = Callable[..., Awaitable[SendOutcome]]


@pytest.fixture
def send(store: Store, clock: Clock) -> Sender:
    """Send a message with a fresh client id, the next clock tick and no pre-moderation."""
    counter = itertools.count(1)

    async def send_one(
        sender: User,
        receiver: User,
        text: str = "hello",
        *,
        premoderate_first: bool = False,
        client_message_id: str | None = None,
        sent_at: datetime | None = None,
    ) -> SendOutcome:
        return await store.send_message(
            sender_id=sender.id,
            receiver_id=receiver.id,
            text=text,
            sent_at=sent_at or clock.tick(),
            premoderate_first=premoderate_first,
            client_message_id=client_message_id or f"c-{uuid.uuid4().hex}-{next(counter)}",
        )

    return send_one


SideReader = Callable[[User, str], Awaitable[ConversationSummary | None]]


@pytest.fixture
def side(store: Store) -> SideReader:
    """One user's side of a conversation as their chat state shows it (None: absent)."""

    async def read(user: User, conversation_id: str) -> ConversationSummary | None:
        state = await store.get_chat_state(user.id)
        for summary in state.conversations:
            if summary.conversation_id == conversation_id:
                return summary
        return None

    return read
