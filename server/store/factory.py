"""Choose the storage backend from a database URL (``--database`` / ``PARLEY_DATABASE``).

Accepted forms:

- ``sqlite:///var/lib/parley/chat.db`` — the file ``/var/lib/parley/chat.db``;
  ``sqlite://data/chat.db`` is relative to the working directory.
- a bare path, ``chat.db`` or ``/srv/chat.db``, is the same as ``sqlite://`` + it.
- ``sqlite://:memory:`` (or plain ``:memory:``) — a private in-memory database, for tests.
- SQLite options as query parameters: ``?synchronous=normal`` (faster, but a power cut
  can lose the last acknowledged messages; see :class:`Synchronous`) and ``readers=N``.
- ``mssql://...`` / ``mssql+pyodbc://...`` — SQL Server (``parley.server.store.mssql``);
  also ``mssql+odbc://``, ``odbc://DSN`` and raw ODBC strings (``DRIVER=...``), see
  docs/mssql.md.

The store comes back unopened: ``await store.open()`` connects and migrates.
"""

from __future__ import annotations

import importlib
from typing import cast
from urllib.parse import parse_qs

from .interface import Store
from .sqlite import MEMORY, SqliteStore
from .sqlite_engine import Synchronous


class UnsupportedDatabaseUrl(ValueError):
    """The database URL names no backend Parley has, or carries a bad option."""


_MSSQL_SCHEMES = ("mssql://", "mssql+pyodbc://", "mssql+odbc://", "odbc://", "driver=", "dsn=")


def open_store(database_url: str) -> Store:
    url = database_url.strip()
    if not url:
        raise UnsupportedDatabaseUrl("The database URL is empty.")
    lowered = url.lower()
    if lowered.startswith(_MSSQL_SCHEMES):
        # SQL Server: parley.server.store.mssql (its own module and owner) parses the
        # rest of the URL. Imported lazily: pyodbc and an ODBC driver are only needed
        # by those who use it.
        module = importlib.import_module("parley.server.store.mssql")
        return cast(Store, module.MssqlStore(url))
    if lowered.startswith("sqlite:"):
        rest = url[len("sqlite:") :]
        if not rest.startswith("//"):
            raise UnsupportedDatabaseUrl(
                f"{database_url!r} is not a SQLite URL; write sqlite:///path/to/file.db."
            )
        return _sqlite_store(rest[2:], database_url)
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise UnsupportedDatabaseUrl(
            f"Unknown database kind {scheme!r}; use a file path, sqlite:///path or mssql://..."
        )
    return _sqlite_store(url, database_url)


def _sqlite_store(location: str, original: str) -> SqliteStore:
    path, _, query = location.partition("?")
    options = {key: values[-1] for key, values in parse_qs(query, keep_blank_values=True).items()}
    if path.lstrip("/") == MEMORY:
        path = MEMORY
    elif path.startswith("/"):
        path = "/" + path.lstrip("/")
    if not path:
        raise UnsupportedDatabaseUrl(f"{original!r} names no database file.")
    synchronous_text = options.pop("synchronous", Synchronous.FULL.value).upper()
    try:
        synchronous = Synchronous(synchronous_text)
    except ValueError:
        raise UnsupportedDatabaseUrl(
            f"synchronous={synchronous_text.lower()!r} is not one of: full, normal."
        ) from None
    readers_text = options.pop("readers", "2")
    if not readers_text.isdigit() or int(readers_text) < 1:
        raise UnsupportedDatabaseUrl(f"readers={readers_text!r} must be a positive number.")
    if options:
        raise UnsupportedDatabaseUrl(
            f"Unknown SQLite option(s): {', '.join(sorted(options))}; known: synchronous, readers."
        )
    return SqliteStore(path, synchronous=synchronous, readers=int(readers_text))
