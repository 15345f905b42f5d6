"""Schema migrations and procedures for SQL Server: ``parley db upgrade --dsn ...``.

``sql/mssql/V###__name.sql`` files are numbered and write-once, recorded with their
SHA-256 in ``dbo.SchemaVersion`` like SQLite's (``migrations.py``). Unlike SQLite, DDL on
memory-optimized tables cannot run inside a user transaction, so a migration is not
atomic: each statement in it is guarded (IF OBJECT_ID(...) IS NULL) and an interrupted
run is simply run again. Scripts are split into batches on ``GO`` lines, as sqlcmd and
SSMS do (GO is a client-side separator, not T-SQL).

``sql/mssql/procedures/*.sql`` are re-runnable (CREATE OR ALTER) and applied after the
migrations, all of them, in the order of ``procedures/order.txt``; their combined
checksum is recorded in ``dbo.SchemaProcedures`` so an unchanged set is not recompiled
each time a server starts. An application lock makes two servers starting at once apply
everything exactly once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Protocol

from .migrations import Migration, MigrationError, check_recorded, load_migrations

_GO = re.compile(r"^\s*GO\s*(?:--.*)?$", re.IGNORECASE)
_GO_COUNT = re.compile(r"^\s*GO\s+\d+\s*$", re.IGNORECASE)

_LOCK = "parley_schema_upgrade"

BOOTSTRAP = """\
IF OBJECT_ID(N'dbo.SchemaVersion', N'U') IS NULL
    CREATE TABLE dbo.SchemaVersion (
        Version int NOT NULL CONSTRAINT PK_SchemaVersion PRIMARY KEY,
        Name nvarchar(200) NOT NULL,
        Checksum char(64) NOT NULL,
        AppliedAt datetime2(6) NOT NULL
    );
IF OBJECT_ID(N'dbo.SchemaProcedures', N'U') IS NULL
    CREATE TABLE dbo.SchemaProcedures (
        Id int NOT NULL CONSTRAINT PK_SchemaProcedures PRIMARY KEY,
        Checksum char(64) NOT NULL,
        AppliedAt datetime2(6) NOT NULL
    );"""


class Cursor(Protocol):
    def execute(self, sql: str, *params: Any) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def nextset(self) -> bool | None: ...


@dataclass(frozen=True)
class ProcedureFile:
    name: str
    sql: str


def mssql_dir() -> Traversable:
    """The packaged ``sql/mssql`` folder (``parley.sql`` package data)."""
    return resources.files("parley.sql").joinpath("mssql")


def split_batches(script: str) -> list[str]:
    """The batches of a T-SQL script: the text between lines that hold only ``GO``.

    ``GO n`` (repeat n times) is refused: nothing here needs it, and running a batch
    twice by accident is worse than an error. Batches of only blank lines and comments
    are dropped.
    """
    batches: list[str] = []
    current: list[str] = []
    for line in script.splitlines():
        if _GO_COUNT.match(line):
            raise MigrationError(f"'{line.strip()}' is not supported; write the batch out.")
        if _GO.match(line):
            batches.append("\n".join(current))
            current = []
        else:
            current.append(line)
    batches.append("\n".join(current))
    return [batch.strip() for batch in batches if _has_code(batch)]


def _has_code(batch: str) -> bool:
    without_block_comments = re.sub(r"/\*.*?\*/", "", batch, flags=re.DOTALL)
    return any(
        line.strip() and not line.strip().startswith("--")
        for line in without_block_comments.splitlines()
    )


def load_mssql_migrations(directory: Traversable | None = None) -> list[Migration]:
    return load_migrations(directory if directory is not None else mssql_dir())


def load_procedures(directory: Traversable | None = None) -> list[ProcedureFile]:
    """The procedure files in the order ``order.txt`` gives; every file listed once.

    A file missing from the order, or an order line naming no file, is an error: a
    procedure that is never applied would fail only when first called.
    """
    folder = (directory if directory is not None else mssql_dir()).joinpath("procedures")
    order_text = folder.joinpath("order.txt").read_text(encoding="utf-8")
    order = [
        line.strip()
        for line in order_text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    files = {entry.name: entry for entry in folder.iterdir() if entry.name.endswith(".sql")}
    duplicates = sorted({name for name in order if order.count(name) > 1})
    unknown = [name for name in order if name not in files]
    unlisted = sorted(set(files) - set(order))
    if duplicates or unknown or unlisted:
        raise MigrationError(
            "sql/mssql/procedures/order.txt does not match the folder: "
            f"listed twice {duplicates}, no such file {unknown}, not listed {unlisted}."
        )
    return [ProcedureFile(name, files[name].read_text(encoding="utf-8")) for name in order]


def procedures_checksum(procedures: Iterable[ProcedureFile]) -> str:
    import hashlib

    digest = hashlib.sha256()
    for procedure in procedures:
        digest.update(procedure.name.encode())
        digest.update(b"\0")
        digest.update(procedure.sql.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _record_migration_sql(migration: Migration) -> str:
    name = migration.name.replace("'", "''")
    return (
        "INSERT dbo.SchemaVersion (Version, Name, Checksum, AppliedAt) "
        f"VALUES ({migration.version}, N'{name}', '{migration.checksum}', SYSUTCDATETIME());"
    )


def _record_procedures_sql(checksum: str) -> str:
    return (
        "DELETE dbo.SchemaProcedures; INSERT dbo.SchemaProcedures (Id, Checksum, AppliedAt) "
        f"VALUES (1, '{checksum}', SYSUTCDATETIME());"
    )


def render_script(migrations: list[Migration], procedures: list[ProcedureFile] | None) -> str:
    """The whole upgrade as one sqlcmd/SSMS-runnable script (what ``--dry-run`` prints)."""
    parts = [
        "-- Parley SQL Server upgrade script, generated "
        f"{datetime.now(UTC).isoformat(timespec='seconds')}",
        "-- Run in the Parley database (sqlcmd -d <database> -i <this file>).",
        BOOTSTRAP,
        "GO",
    ]
    for migration in migrations:
        parts.append(f"-- ===== V{migration.version:03d}__{migration.name}.sql =====")
        for batch in split_batches(migration.sql):
            parts += [batch, "GO"]
        parts += [_record_migration_sql(migration), "GO"]
    if procedures:
        for procedure in procedures:
            parts.append(f"-- ===== procedures/{procedure.name} =====")
            for batch in split_batches(procedure.sql):
                parts += [batch, "GO"]
        parts += [_record_procedures_sql(procedures_checksum(procedures)), "GO"]
    if not migrations and not procedures:
        parts.append("-- Nothing to do: the database is up to date.")
    return "\n".join(parts) + "\n"


@dataclass(frozen=True)
class Plan:
    migrations: list[Migration]  # pending, in order
    procedures: list[ProcedureFile] | None  # None when the recorded set is current


def plan(cursor: Cursor, *, force_procedures: bool = False) -> Plan:
    """What an upgrade of this database would run; refuses edited or unknown versions.

    Only reads, so ``--dry-run`` changes nothing.
    """
    migrations = load_mssql_migrations()
    procedures = load_procedures()
    exists = cursor.execute(
        "SELECT OBJECT_ID(N'dbo.SchemaVersion', N'U'), OBJECT_ID(N'dbo.SchemaProcedures', N'U')"
    ).fetchall()[0]
    recorded: dict[int, str] = {}
    if exists[0] is not None:
        rows = cursor.execute("SELECT Version, Checksum FROM dbo.SchemaVersion").fetchall()
        recorded = {int(row[0]): str(row[1]).strip() for row in rows}
    check_recorded(list(migrations), recorded)
    pending = [m for m in migrations if m.version not in recorded]
    current = ""
    if exists[1] is not None:
        rows = cursor.execute("SELECT Checksum FROM dbo.SchemaProcedures WHERE Id = 1").fetchall()
        current = str(rows[0][0]).strip() if rows else ""
    stale = force_procedures or bool(pending) or current != procedures_checksum(procedures)
    return Plan(pending, procedures if stale else None)


def apply(cursor: Cursor, *, force_procedures: bool = False) -> list[str]:
    """Apply pending migrations, then the procedures if they changed; what was applied.

    Runs under an exclusive session application lock, so concurrent servers serialize
    here and the second finds nothing left to do.
    """
    cursor.execute(
        "DECLARE @r int; EXEC @r = sp_getapplock @Resource = ?, @LockMode = 'Exclusive', "
        "@LockOwner = 'Session', @LockTimeout = 120000; "
        "IF @r < 0 THROW 50110, N'Another Parley is upgrading the schema; try again.', 1;",
        _LOCK,
    )
    try:
        cursor.execute(BOOTSTRAP)
        todo = plan(cursor, force_procedures=force_procedures)
        done: list[str] = []
        for migration in todo.migrations:
            label = f"V{migration.version:03d}__{migration.name}.sql"
            for batch in split_batches(migration.sql):
                _run(cursor, batch, label)
            cursor.execute(_record_migration_sql(migration))
            done.append(label)
        if todo.procedures is not None:
            for procedure in todo.procedures:
                for batch in split_batches(procedure.sql):
                    _run(cursor, batch, f"procedures/{procedure.name}")
            cursor.execute(_record_procedures_sql(procedures_checksum(todo.procedures)))
            done.append(f"{len(todo.procedures)} procedures")
        return done
    finally:
        cursor.execute("EXEC sp_releaseapplock @Resource = ?, @LockOwner = 'Session';", _LOCK)


def _run(cursor: Cursor, batch: str, label: str) -> None:
    """Run one batch, draining its results so errors in later statements surface here."""
    from .mssql_errors import Outcome, diagnose

    try:
        cursor.execute(batch)
        while cursor.nextset():
            pass
    except Exception as exc:
        diagnosis = diagnose(exc)
        if any(50100 <= n < 50200 for n in diagnosis.numbers):
            # The migrations' own checks (V001): the server's sentence says what to do.
            raise MigrationError(diagnosis.text or str(exc)) from None
        if diagnosis.outcome is Outcome.BUG:
            raise MigrationError(f"{label} failed: {exc}") from exc
        raise


def upgrade(dsn: str | None, dry_run: bool = False) -> str:
    """``parley db upgrade --dsn URL [--dry-run]``: what was applied, or the script.

    With ``dry_run`` and a DSN the script holds what this database lacks; without a DSN
    it is the whole schema, for a DBA to review or run with sqlcmd.
    """
    if dsn is None:
        if not dry_run:
            raise MigrationError("Upgrading SQL Server needs --dsn (a database URL).")
        return render_script(load_mssql_migrations(), load_procedures())
    from .mssql_errors import Outcome, diagnose, unavailable_error
    from .mssql_pool import connect, import_pyodbc
    from .mssql_url import BadDatabaseUrl

    pyodbc = import_pyodbc()
    try:
        connection = connect(dsn)
    except BadDatabaseUrl as exc:
        raise MigrationError(str(exc)) from None
    except pyodbc.Error as exc:
        diagnosis = diagnose(exc)
        if diagnosis.outcome in (Outcome.UNAVAILABLE, Outcome.RECONNECT):
            raise unavailable_error(diagnosis) from exc
        raise
    try:
        cursor = connection.cursor()
        if dry_run:
            todo = plan(cursor)
            return render_script(todo.migrations, todo.procedures)
        done = apply(cursor)
        return "Applied: " + ", ".join(done) if done else "The database is up to date."
    finally:
        connection.close()


PARLEY_TABLES = (
    "ReviewVote",
    "ReviewItem",
    "ModerationDecision",
    "ModerationAudit",
    "TrainingExample",
    "UserEvent",
    "MessageIdempotency",
    "MessageFlag",
    "MessageDeletedForUser",
    "UserBlock",
    "UserSession",
    "UserConversation",
    "ChatMessage",
    "ChatMessageCold",
    "ChatUser",
)


def erase_data(dsn: str) -> None:
    """Delete every row of Parley's tables, keeping the schema: for test databases only.

    The store contract suite calls it before each test on SQL Server, so counts (an
    archive batch, a sequence number) start from an empty database as they do on a fresh
    SQLite file. Parley itself never calls it. Tables not created yet are skipped.
    """
    from .mssql_pool import connect

    connection = connect(dsn)
    try:
        cursor = connection.cursor()
        for table in PARLEY_TABLES:
            cursor.execute(f"IF OBJECT_ID(N'dbo.{table}', N'U') IS NOT NULL DELETE dbo.{table};")
    finally:
        connection.close()
