"""SQL Server fixtures: the gated suite runs only when PARLEY_TEST_MSSQL_DSN names a server.

The DSN is read when this module is imported: tests/server/conftest.py clears every
PARLEY_* variable before each test so no developer setting leaks in. With it set, the
``settings`` fixture points the real websocket server of tests/server/conftest.py at
SQL Server, so ``server``, ``connect`` and ``sign_up`` run end to end on it.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from parley.server.settings import Settings
from parley.server.store.mssql import MssqlStore
from parley.server.store.mssql_errors import RetryPolicy
from parley.server.store.mssql_pool import ConnectionPool

MSSQL_DSN = os.environ.get("PARLEY_TEST_MSSQL_DSN", "")
SKIP_REASON = "PARLEY_TEST_MSSQL_DSN is not set; no SQL Server here"


@pytest.fixture
def dsn() -> str:
    if not MSSQL_DSN:
        pytest.skip(SKIP_REASON)
    return MSSQL_DSN


@pytest.fixture
def settings(dsn: str, tmp_path: Path) -> Settings:
    return Settings(
        host="127.0.0.1",
        port=0,
        database_url=dsn,
        argon2_time_cost=1,
        argon2_memory_kib=8,
        use_uvloop=False,
        coalesce_ms=2.0,
        # The chat core alone, as in tests/server/conftest.py: the moderation worker (which
        # runs on SQL Server too) has its own end-to-end tests here.
        moderation_enabled=False,
    )


# --- a scripted connection standing in for SQL Server (the plumbing tests) ---------------
#
# Each call answers with the result sets queued for its procedure (or raises the queued
# exception); every call is recorded with its batch and bound values.

Script = dict[str, list[Any]]  # procedure -> queued answers (result sets, or an exception)


class ScriptedCursor:
    def __init__(self, connection: ScriptedConnection) -> None:
        self.connection = connection
        self.sets: list[list[tuple[Any, ...]]] = []
        self.description: object = None

    def execute(self, sql: str, *params: Any) -> ScriptedCursor:
        name = re.search(r"EXEC dbo\.(\w+)", sql)
        assert name is not None, sql
        self.connection.calls.append((name.group(1), sql, params))
        answer = self.connection.script[name.group(1)].pop(0)
        if isinstance(answer, BaseException):
            raise answer
        self.sets = list(answer)
        self.description = ("col",) if self.sets else None
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.sets[0]

    def nextset(self) -> bool:
        self.sets.pop(0)
        self.description = ("col",) if self.sets else None
        return bool(self.sets)

    def close(self) -> None:
        pass


class ScriptedConnection:
    def __init__(self, script: Script, calls: list[tuple[str, str, tuple[Any, ...]]]) -> None:
        self.script = script
        self.calls = calls
        self.closed = False

    def cursor(self) -> ScriptedCursor:
        return ScriptedCursor(self)

    def close(self) -> None:
        self.closed = True


class Harness:
    def __init__(self) -> None:
        self.script: Script = {}
        self.calls: list[tuple[str, str, tuple[Any, ...]]] = []
        self.connections: list[ScriptedConnection] = []

    def connect(self) -> ScriptedConnection:
        connection = ScriptedConnection(self.script, self.calls)
        self.connections.append(connection)
        return connection


@pytest.fixture
async def harness() -> AsyncIterator[tuple[MssqlStore, Harness]]:
    import pyodbc  # here, not at import: the SQL-file checks need no ODBC driver manager

    h = Harness()
    store = MssqlStore("mssql://u:p@h/db", pool_size=2, retry=RetryPolicy(first_delay_s=0))
    store._pool = ConnectionPool(h.connect, 2)
    store._executor = ThreadPoolExecutor(2)
    store._driver_error = pyodbc.Error
    yield store, h
    await store.close()
