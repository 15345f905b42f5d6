"""pyodbc connections to SQL Server: opening one from a URL, and a small pool of them.

pyodbc calls block, so the store runs them on a thread pool; each worker borrows a
connection for one procedure call and gives it back. Connections are in autocommit
mode: a natively compiled procedure is its own atomic transaction, and the interpreted
ones open and commit theirs, so no transaction ever spans two calls.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from parley.shared.errors import StorageUnavailable

from .mssql_url import odbc_connection_string, redact_connection_string

log = logging.getLogger(__name__)

Connection = Any  # pyodbc.Connection: pyodbc ships no type information


def import_pyodbc() -> Any:
    """pyodbc, or a sentence saying which system library is missing."""
    try:
        import pyodbc
    except ImportError as exc:
        raise StorageUnavailable(
            "pyodbc cannot load the ODBC driver manager; install it "
            "(Debian/Ubuntu: apt-get install libodbc2 unixodbc; see docs/mssql.md). "
            f"({exc})"
        ) from None
    return pyodbc


def connection_string(url: str) -> str:
    pyodbc = import_pyodbc()
    return odbc_connection_string(url, installed_drivers=pyodbc.drivers())


def connect(url: str, *, login_timeout_s: int = 15, query_timeout_s: int = 30) -> Connection:
    """One autocommit connection; pyodbc errors propagate for the retry loop to judge."""
    pyodbc = import_pyodbc()
    text = odbc_connection_string(url, installed_drivers=pyodbc.drivers())
    log.debug("connecting to SQL Server: %s", redact_connection_string(text))
    connection = pyodbc.connect(text, autocommit=True, timeout=login_timeout_s)
    connection.timeout = query_timeout_s
    return connection


class ConnectionPool:
    """At most ``size`` open connections, reused last-in first-out (warm ones first)."""

    def __init__(self, factory: Callable[[], Connection], size: int) -> None:
        self._factory = factory
        self._size = max(1, size)
        self._idle: list[Connection] = []
        self._open = 0
        self._lock = threading.Condition()
        self._closed = False

    def acquire(self) -> Connection:
        with self._lock:
            while True:
                if self._closed:
                    raise StorageUnavailable("The store is closed.")
                if self._idle:
                    return self._idle.pop()
                if self._open < self._size:
                    self._open += 1
                    break
                self._lock.wait()
        try:
            return self._factory()
        except BaseException:
            with self._lock:
                self._open -= 1
                self._lock.notify()
            raise

    def release(self, connection: Connection) -> None:
        with self._lock:
            if self._closed:
                self._open -= 1
                _close_quietly(connection)
            else:
                self._idle.append(connection)
            self._lock.notify()

    def discard(self, connection: Connection) -> None:
        """Drop a broken connection; the next acquire opens a fresh one."""
        with self._lock:
            self._open -= 1
            self._lock.notify()
        _close_quietly(connection)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._open -= len(idle)
            self._lock.notify_all()
        for connection in idle:
            _close_quietly(connection)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return self._open


def _close_quietly(connection: Connection) -> None:
    try:
        connection.close()
    except Exception:  # a broken connection may fail to close; it is gone either way
        log.debug("closing a SQL Server connection failed", exc_info=True)
