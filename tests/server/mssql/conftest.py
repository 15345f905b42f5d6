"""SQL Server fixtures: the gated suite runs only when PARLEY_TEST_MSSQL_DSN names a server.

The DSN is read when this module is imported: tests/server/conftest.py clears every
PARLEY_* variable before each test so no developer setting leaks in. With it set, the
``settings`` fixture points the real websocket server of tests/server/conftest.py at
SQL Server, so ``server``, ``connect`` and ``sign_up`` run end to end on it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from parley.server.settings import Settings

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
    )
