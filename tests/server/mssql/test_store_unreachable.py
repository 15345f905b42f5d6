"""The real store with the real FreeTDS driver, pointed where no SQL Server listens.

No server runs here, but the failure path does: the driver really fails to connect, the
retry loop really reconnects, and the caller gets StorageUnavailable with a sentence,
never a driver traceback. (tdsodbc is installed by packaging/dev.sh.)
"""

from __future__ import annotations

import socket

import pyodbc
import pytest

from parley.server.store.factory import open_store
from parley.server.store.mssql import MssqlStore, delayed_durability_from_env
from parley.server.store.mssql_errors import RetryPolicy
from parley.shared.errors import ErrorCode, StorageUnavailable

FAST = RetryPolicy(reconnect_attempts=2, first_delay_s=0.001, max_delay_s=0.01)


def closed_port() -> int:
    """A local port nobody listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.skipif(
    "FreeTDS" not in pyodbc.drivers(), reason="the FreeTDS ODBC driver is not installed"
)
async def test_an_unreachable_server_is_storage_unavailable() -> None:
    url = f"mssql://parley:secret@127.0.0.1:{closed_port()}/parley?driver=FreeTDS"
    store = MssqlStore(url, retry=FAST)
    with pytest.raises(StorageUnavailable, match="unreachable") as failed:
        await store.open()
    assert failed.value.code == ErrorCode.UNAVAILABLE
    assert "secret" not in failed.value.message
    with pytest.raises(StorageUnavailable, match="not open"):
        await store.get_user(1)  # open() failed: nothing half-open is left behind


async def test_a_missing_driver_says_how_to_fix_it() -> None:
    store = MssqlStore("mssql://u:p@127.0.0.1:1433/parley?driver=NoSuchDriver", retry=FAST)
    with pytest.raises(StorageUnavailable, match="cannot be loaded; install it"):
        await store.open()


@pytest.mark.parametrize(
    "url",
    [
        "mssql://u:p@h/db",
        "mssql+odbc://u:p@h/db",
        "mssql+pyodbc://u:p@h/db",
        "odbc://u:p@ParleyDsn",
        "DRIVER={ODBC Driver 18 for SQL Server};SERVER=tcp:h,1433;DATABASE=db",
        "DSN=Parley;UID=u",
    ],
)
def test_the_factory_gives_sql_server_urls_to_this_store(url: str) -> None:
    store = open_store(url)
    assert isinstance(store, MssqlStore)
    assert not store.delayed_durability  # off unless asked for


def test_a_malformed_url_is_refused_when_the_store_is_made() -> None:
    with pytest.raises(ValueError, match="names no server"):
        open_store("mssql://:1433/parley")
    with pytest.raises(ValueError, match="looks like mssql://"):
        MssqlStore("sql1 parley")


def test_delayed_durability_is_an_explicit_setting() -> None:
    assert delayed_durability_from_env({}) is False
    assert delayed_durability_from_env({"PARLEY_MSSQL_DELAYED_DURABILITY": "true"}) is True
    assert delayed_durability_from_env({"PARLEY_MSSQL_DELAYED_DURABILITY": "off"}) is False
    with pytest.raises(ValueError, match="not true or false"):
        delayed_durability_from_env({"PARLEY_MSSQL_DELAYED_DURABILITY": "sometimes"})
