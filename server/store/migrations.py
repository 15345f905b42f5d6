"""Numbered, write-once schema migrations for SQLite, applied in order on open.

Synapse's rule: a delta file is recorded when applied and never edited afterwards. Each
file ``sql/sqlite/V###__name.sql`` runs in its own transaction together with the row
that records it in ``SchemaVersion`` (so a failed migration leaves nothing behind), and
the file's SHA-256 is recorded too: an applied file that was edited later, or a database
written by a newer Parley, is refused with a clear error instead of being half-understood.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from parley.shared.errors import ErrorCode, ParleyError

_FILE_NAME = re.compile(r"^V(\d{3})__([a-z0-9_]+)\.sql$")

_CREATE_SCHEMA_VERSION = """
CREATE TABLE IF NOT EXISTS SchemaVersion (
    Version   INTEGER PRIMARY KEY,
    Name      TEXT    NOT NULL,
    Checksum  TEXT    NOT NULL,
    AppliedAt INTEGER NOT NULL
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


class MigrationError(ParleyError):
    """The database and the migration files disagree; a person has to look."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.INTERNAL_ERROR, message)


def sqlite_migrations_dir() -> Traversable:
    """The packaged ``sql/sqlite`` folder (``parley.sql`` package data)."""
    return resources.files("parley.sql").joinpath("sqlite")


def load_migrations(directory: Traversable | None = None) -> list[Migration]:
    """Every ``V###__name.sql`` file of a folder, in version order.

    Any other ``.sql`` file, or two files with one version, is an error: a typo in a
    file name must not silently skip a migration.
    """
    folder = directory if directory is not None else sqlite_migrations_dir()
    found: dict[int, Migration] = {}
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _FILE_NAME.match(entry.name)
        if match is None:
            raise MigrationError(
                f"Migration file {entry.name!r} is not named V###__lower_case_name.sql."
            )
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"Two migration files have version {version:03d}.")
        found[version] = Migration(version, match.group(2), entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def split_statements(sql: str) -> list[str]:
    """The statements of a script, using SQLite's own notion of a complete statement.

    ``executescript`` would commit any open transaction first; splitting lets a migration
    and its SchemaVersion row share one transaction. Trigger bodies (``BEGIN ... END;``)
    stay whole because :func:`sqlite3.complete_statement` understands them.
    """
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    leftover = "\n".join(
        line for line in buffer.splitlines() if line.strip() and not line.strip().startswith("--")
    )
    if leftover:
        raise MigrationError(f"Migration ends with an incomplete statement: {leftover[:80]!r}")
    return statements


def check_recorded(migrations: list[Migration], recorded: dict[int, str]) -> None:
    """Refuse a database this release did not write, or one whose migrations were edited.

    Shared by every engine: write-once migrations are the rule, whatever the SQL dialect.
    """
    known = {m.version: m for m in migrations}
    for version, checksum in sorted(recorded.items()):
        migration = known.get(version)
        if migration is None:
            raise MigrationError(
                f"The database has schema version {version:03d}, which this Parley does not "
                "know; it was written by a newer release."
            )
        if migration.checksum != checksum:
            raise MigrationError(
                f"Migration V{version:03d}__{migration.name}.sql was edited after it was "
                "applied; migrations are write-once, add a new file instead."
            )


def applied_versions(conn: sqlite3.Connection) -> dict[int, str]:
    """Version -> checksum of every migration recorded in the database."""
    rows = conn.execute("SELECT Version, Checksum FROM SchemaVersion").fetchall()
    return {int(version): str(checksum) for version, checksum in rows}


def migrate(conn: sqlite3.Connection, migrations: list[Migration] | None = None) -> list[int]:
    """Apply pending migrations in order; the versions applied now.

    The connection must be in autocommit mode (``isolation_level=None``). Each migration
    runs under ``BEGIN IMMEDIATE``, so two processes opening one database at once apply
    it exactly once: the second waits, then sees the row the first recorded.
    """
    todo = migrations if migrations is not None else load_migrations()
    conn.execute(_CREATE_SCHEMA_VERSION)
    recorded = applied_versions(conn)
    check_recorded(todo, recorded)
    applied: list[int] = []
    for migration in todo:
        if migration.version in recorded:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute(
                "SELECT 1 FROM SchemaVersion WHERE Version = ?", (migration.version,)
            ).fetchone():
                conn.execute("ROLLBACK")
                continue
            for statement in split_statements(migration.sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO SchemaVersion (Version, Name, Checksum, AppliedAt) "
                "VALUES (?, ?, ?, ?)",
                (migration.version, migration.name, migration.checksum, time.time_ns() // 1000),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    return applied
