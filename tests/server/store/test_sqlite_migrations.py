"""Numbered, write-once migrations: applied in order, once, and never silently edited."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from parley.server.store.migrations import (
    MigrationError,
    load_migrations,
    migrate,
    split_statements,
)


def connection(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_shipped_migrations_build_the_schema_once(tmp_path: Path) -> None:
    conn = connection(tmp_path / "db.sqlite")
    shipped = load_migrations()

    assert migrate(conn) == [m.version for m in shipped]
    assert migrate(conn) == []
    assert {
        "ChatUser",
        "ChatMessage",
        "ChatMessageCold",
        "UserConversation",
        "UserSession",
        "UserBlock",
        "MessageFlag",
        "MessageDeletedForUser",
        "MessageIdempotency",
        "UserEvent",
        "SchemaVersion",
    } <= tables(conn)
    recorded = conn.execute("SELECT Version, Name FROM SchemaVersion ORDER BY Version").fetchall()
    assert recorded == [(m.version, m.name) for m in shipped]


def test_history_indexes_exist(tmp_path: Path) -> None:
    conn = connection(tmp_path / "db.sqlite")
    migrate(conn)
    indexed = {
        (r[0], r[1])
        for r in conn.execute(
            "SELECT m.name, i.name FROM sqlite_master AS m, pragma_index_list(m.name) AS i "
            "WHERE m.type = 'table'"
        )
    }
    for table in ("ChatMessage", "ChatMessageCold"):
        names = {index for owner, index in indexed if owner == table}
        assert {
            f"IX_{table}_Conversation",
            f"IX_{table}_DateTime",
            f"IX_{table}_SenderId",
            f"IX_{table}_ReceiverId",
        } <= names
    plan = " ".join(
        str(r[3])
        for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM ChatMessage WHERE ConversationId = ? "
            "AND MessageId < ? ORDER BY MessageId DESC LIMIT 20",
            ("1-2", 100),
        )
    )
    assert "IX_ChatMessage_Conversation" in plan


def write(folder: Path, name: str, sql: str) -> None:
    (folder / name).write_text(sql, encoding="utf-8")


def test_pending_migrations_apply_in_version_order(tmp_path: Path) -> None:
    folder = tmp_path / "sql"
    folder.mkdir()
    write(folder, "V002__add_column.sql", "ALTER TABLE Thing ADD COLUMN Size INTEGER;")
    write(folder, "V001__create.sql", "CREATE TABLE Thing (Id INTEGER PRIMARY KEY);")
    conn = connection(tmp_path / "db.sqlite")

    assert migrate(conn, load_migrations(folder)) == [1, 2]
    write(folder, "V003__index.sql", "CREATE INDEX IX_Thing_Size ON Thing (Size);")
    assert migrate(conn, load_migrations(folder)) == [3]


def test_an_edited_migration_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "sql"
    folder.mkdir()
    write(folder, "V001__create.sql", "CREATE TABLE Thing (Id INTEGER PRIMARY KEY);")
    conn = connection(tmp_path / "db.sqlite")
    migrate(conn, load_migrations(folder))

    write(folder, "V001__create.sql", "CREATE TABLE Thing (Id INTEGER PRIMARY KEY, X TEXT);")

    with pytest.raises(MigrationError, match="write-once"):
        migrate(conn, load_migrations(folder))


def test_a_database_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "sql"
    folder.mkdir()
    write(folder, "V001__create.sql", "CREATE TABLE Thing (Id INTEGER PRIMARY KEY);")
    write(folder, "V002__more.sql", "CREATE TABLE Other (Id INTEGER PRIMARY KEY);")
    conn = connection(tmp_path / "db.sqlite")
    migrate(conn, load_migrations(folder))

    (folder / "V002__more.sql").unlink()

    with pytest.raises(MigrationError, match="newer release"):
        migrate(conn, load_migrations(folder))


def test_a_failing_migration_leaves_nothing_behind(tmp_path: Path) -> None:
    folder = tmp_path / "sql"
    folder.mkdir()
    write(folder, "V001__create.sql", "CREATE TABLE Thing (Id INTEGER PRIMARY KEY);")
    write(
        folder,
        "V002__broken.sql",
        "CREATE TABLE Half (Id INTEGER PRIMARY KEY);\nALTER TABLE Missing ADD COLUMN X;",
    )
    conn = connection(tmp_path / "db.sqlite")

    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, load_migrations(folder))

    assert "Half" not in tables(conn)
    assert conn.execute("SELECT Version FROM SchemaVersion").fetchall() == [(1,)]


def test_misnamed_and_duplicate_migration_files_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "sql"
    folder.mkdir()
    write(folder, "V1_create.sql", "SELECT 1;")
    with pytest.raises(MigrationError, match="not named"):
        load_migrations(folder)

    (folder / "V1_create.sql").unlink()
    write(folder, "V001__a.sql", "SELECT 1;")
    write(folder, "V001__b.sql", "SELECT 1;")
    with pytest.raises(MigrationError, match="Two migration files"):
        load_migrations(folder)


def test_statements_split_like_sqlite_reads_them() -> None:
    script = """
    -- a comment
    CREATE TABLE T (Id INTEGER PRIMARY KEY, Note TEXT DEFAULT 'a;b');
    CREATE TRIGGER TR AFTER INSERT ON T BEGIN
        UPDATE T SET Note = 'x;y' WHERE Id = new.Id;
    END;
    -- trailing comment
    """

    statements = split_statements(script)

    assert len(statements) == 2
    assert statements[1].rstrip().endswith("END;")
    with pytest.raises(MigrationError, match="incomplete"):
        split_statements("CREATE TABLE T (Id INTEGER")


# Shipped migrations are write-once: databases in the field recorded these checksums and
# refuse to open if a file changes. Once a file has shipped, its checksum goes here.
SHIPPED_CHECKSUMS = {
    1: "97064977948554731ba66dc1fc714f61fa411a2763130690c3c6f726ef71c811",
}


def test_shipped_migrations_are_never_edited() -> None:
    present = {m.version: m.checksum for m in load_migrations()}

    for version, checksum in SHIPPED_CHECKSUMS.items():
        assert present.get(version) == checksum, f"V{version:03d} was edited or removed"
