"""``PARLEY_DATABASE_URL`` for SQL Server, turned into an ODBC connection string.

Accepted forms (docs/mssql.md shows each):

- ``mssql://user:password@host[:port]/database[?key=value&...]`` (also ``mssql+odbc://``
  and ``mssql+pyodbc://``): query keys are ODBC keywords passed through as they are
  (``Encrypt=yes``, ``TrustServerCertificate=yes``, ``Authentication=...``), except
  ``driver`` (the ODBC driver's name; default: the newest Microsoft driver installed,
  else FreeTDS) and ``dsn`` (use a data source from odbc.ini instead of host and driver).
- ``mssql+odbc:///?odbc_connect=<percent-encoded ODBC string>`` (SQLAlchemy's form).
- ``odbc://user:password@DSN_NAME`` — a data source name from odbc.ini.
- a raw ODBC connection string starting with ``DRIVER=`` or ``DSN=``, used verbatim.

Pure functions, so every form is tested without a driver or a server.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote, urlsplit

MS_DRIVERS = (
    "ODBC Driver 18 for SQL Server",
    "ODBC Driver 17 for SQL Server",
)
FREETDS = "FreeTDS"

_SCHEMES = ("mssql", "mssql+odbc", "mssql+pyodbc")


class BadDatabaseUrl(ValueError):
    """The SQL Server URL cannot be understood; the message says what to write instead."""


def is_raw_odbc(text: str) -> bool:
    lowered = text.lstrip().lower()
    return lowered.startswith(("driver=", "dsn="))


def quote_value(value: str) -> str:
    """An ODBC attribute value, braced when it holds a separator, a brace or a space."""
    if value and not re.search(r"[;{}\s]", value):
        return value
    return "{" + value.replace("}", "}}") + "}"


def choose_driver(installed: Iterable[str]) -> str:
    """The newest Microsoft driver installed, else FreeTDS, else Driver 18 (so the error
    names the driver the docs tell people to install)."""
    names = list(installed)
    for driver in MS_DRIVERS:
        if driver in names:
            return driver
    if FREETDS in names:
        return FREETDS
    return MS_DRIVERS[0]


def is_freetds(connection_string: str) -> bool:
    return bool(re.search(r"(?i)driver\s*=\s*\{?[^;]*freetds", connection_string))


def odbc_connection_string(url: str, *, installed_drivers: Iterable[str] = ()) -> str:
    """The ODBC connection string a SQL Server URL stands for."""
    text = url.strip()
    if is_raw_odbc(text):
        return text
    if "://" not in text:
        raise BadDatabaseUrl(
            "A SQL Server database URL looks like mssql://user:password@host:1433/database "
            "or is an ODBC string starting with DRIVER= or DSN=."
        )
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if scheme == "odbc":
        name = _host(parts.netloc)
        if not name:
            raise BadDatabaseUrl("odbc://user:password@NAME needs a data source NAME.")
        return _join([("DSN", unquote(name)), ("UID", user), ("PWD", password)])
    if scheme not in _SCHEMES:
        raise BadDatabaseUrl(f"{parts.scheme!r} is not a SQL Server URL scheme.")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if "odbc_connect" in query:
        return query["odbc_connect"]
    database = unquote(parts.path.lstrip("/")) or None
    dsn = query.pop("dsn", None) or query.pop("DSN", None)
    if dsn:
        pairs = [("DSN", dsn), ("DATABASE", database), ("UID", user), ("PWD", password)]
        return _join(pairs + list(query.items()))
    host = _host(parts.netloc)
    if not host:
        raise BadDatabaseUrl(
            f"{_redacted(text)} names no server; write mssql://user:password@host:1433/database."
        )
    try:
        port = parts.port
    except ValueError:
        raise BadDatabaseUrl(f"{_redacted(text)} has a port that is not a number.") from None
    driver = query.pop("driver", None) or query.pop("DRIVER", None)
    driver = driver or choose_driver(installed_drivers)
    pairs = [("DRIVER", driver)]
    if driver.lower().startswith("freetds"):
        # FreeTDS takes the port as its own keyword and needs TDS 7.3+ for datetime2
        # and UTF-8 on the client side for nvarchar to round-trip.
        pairs += [("SERVER", host), ("PORT", str(port or 1433))]
        query.setdefault("TDS_Version", "7.4")
        query.setdefault("ClientCharset", "UTF-8")
    else:
        pairs.append(("SERVER", f"tcp:{host},{port or 1433}"))
    pairs += [("DATABASE", database), ("UID", user), ("PWD", password)]
    return _join(pairs + list(query.items()))


def _host(netloc: str) -> str:
    """The host of a URL as written (urlsplit's ``hostname`` lower-cases it, and DSN and
    instance names keep their case)."""
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.partition(":")[0]


def _join(pairs: Iterable[tuple[str, str | None]]) -> str:
    return ";".join(f"{key}={quote_value(value)}" for key, value in pairs if value is not None)


def _redacted(url: str) -> str:
    """The URL without its password, for error messages and logs."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def redact_connection_string(connection_string: str) -> str:
    """An ODBC string without its password, for error messages and logs."""
    return re.sub(
        r"(?i)(pwd|password)\s*=\s*(\{(?:[^}]|\}\})*\}|[^;]*)", r"\1=***", connection_string
    )
