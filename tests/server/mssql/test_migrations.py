"""The T-SQL migration runner: GO batches, write-once versions, procedures in order.

A recording cursor stands in for SQL Server (which cannot run here): it answers the
runner's bookkeeping queries from a dict and records every batch, so these tests pin
what the runner sends and when; the gated suite runs the same code on a real server.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley.server.store.migrations import MigrationError
from parley.server.store.mssql_migrations import (
    apply,
    load_mssql_migrations,
    load_procedures,
    plan,
    procedures_checksum,
    render_script,
    split_batches,
    upgrade,
)


def test_go_lines_split_batches_in_any_case_and_with_a_comment() -> None:
    script = "SELECT 1;\nGO\nSELECT 2;\n  go  \n-- only a comment\nGO -- end of batch\nSELECT 3;"
    assert split_batches(script) == ["SELECT 1;", "SELECT 2;", "SELECT 3;"]


def test_go_inside_a_line_or_a_name_is_not_a_separator() -> None:
    script = "SELECT 'GO' AS GO_TIME;\nEXEC dbo.GoHome;\nGO"
    assert split_batches(script) == ["SELECT 'GO' AS GO_TIME;\nEXEC dbo.GoHome;"]


def test_comment_only_batches_are_dropped() -> None:
    assert split_batches("-- header\n/* block\ncomment */\nGO\n\nGO\n") == []


def test_go_with_a_count_is_refused() -> None:
    with pytest.raises(MigrationError, match="GO 2"):
        split_batches("INSERT dbo.T DEFAULT VALUES;\nGO 2\n")


def test_migrations_are_numbered_from_one_without_gaps() -> None:
    versions = [m.version for m in load_mssql_migrations()]
    assert versions == list(range(1, len(versions) + 1))


def test_every_migration_batch_guards_its_ddl_so_a_rerun_is_harmless() -> None:
    for migration in load_mssql_migrations():
        for batch in split_batches(migration.sql):
            if re.search(r"\b(CREATE|ALTER)\s+(TABLE|PARTITION|INDEX|NONCLUSTERED)", batch):
                assert re.search(r"\bIF\b", batch), f"unguarded DDL in {migration.name}"


def test_the_procedure_order_must_list_every_file_exactly_once(tmp_path: Any) -> None:
    folder = tmp_path / "procedures"
    folder.mkdir()
    (folder / "A.sql").write_text("SELECT 1;")
    (folder / "B.sql").write_text("SELECT 2;")
    (folder / "order.txt").write_text("# comment\nA.sql\nC.sql\n")
    with pytest.raises(MigrationError) as refused:
        load_procedures(tmp_path)
    assert "no such file ['C.sql']" in refused.value.message
    assert "not listed ['B.sql']" in refused.value.message


def test_the_full_script_holds_every_migration_and_procedure_in_order() -> None:
    migrations = load_mssql_migrations()
    procedures = load_procedures()
    script = render_script(migrations, procedures)
    positions = [script.index(f"V{m.version:03d}__{m.name}.sql") for m in migrations]
    positions += [script.index(f"procedures/{p.name}") for p in procedures]
    assert positions == sorted(positions)
    assert script.count("INSERT dbo.SchemaVersion") == len(migrations)
    assert procedures_checksum(procedures) in script
    assert upgrade(None, dry_run=True).split("\n", 1)[1] == script.split("\n", 1)[1]


def test_upgrading_without_a_dsn_is_refused() -> None:
    with pytest.raises(MigrationError, match="--dsn"):
        upgrade(None, dry_run=False)


class RecordingCursor:
    """Answers the runner's bookkeeping from ``versions`` and records every batch."""

    def __init__(self, versions: dict[int, str] | None = None, procedures: str = "") -> None:
        self.versions = dict(versions or {})
        self.procedures = procedures
        self.tables_exist = versions is not None
        self.sent: list[str] = []
        self._rows: list[tuple[Any, ...]] = []

    def execute(self, sql: str, *params: Any) -> RecordingCursor:
        self.sent.append(sql)
        self._rows = []
        if sql.startswith("SELECT OBJECT_ID"):
            exists = 1 if self.tables_exist else None
            self._rows = [(exists, exists)]
        elif sql.startswith("SELECT Version, Checksum"):
            self._rows = list(self.versions.items())
        elif sql.startswith("SELECT Checksum FROM dbo.SchemaProcedures"):
            self._rows = [(self.procedures,)] if self.procedures else []
        elif sql.startswith("INSERT dbo.SchemaVersion"):
            match = re.search(r"VALUES \((\d+), N'[^']*', '([0-9a-f]{64})'", sql)
            assert match is not None
            self.versions[int(match.group(1))] = match.group(2)
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows

    def nextset(self) -> bool:
        return False


def test_a_fresh_database_gets_every_migration_then_every_procedure() -> None:
    cursor = RecordingCursor()
    done = apply(cursor)
    migrations = load_mssql_migrations()
    assert done[:-1] == [f"V{m.version:03d}__{m.name}.sql" for m in migrations]
    assert done[-1] == f"{len(load_procedures())} procedures"
    assert set(cursor.versions) == {m.version for m in migrations}
    assert "sp_getapplock" in cursor.sent[0]
    assert "sp_releaseapplock" in cursor.sent[-1]
    first_procedure = cursor.sent.index(split_batches(load_procedures()[0].sql)[0])
    last_migration_record = max(
        i for i, sql in enumerate(cursor.sent) if sql.startswith("INSERT dbo.SchemaVersion")
    )
    assert last_migration_record < first_procedure


def test_an_up_to_date_database_gets_nothing_but_the_bookkeeping() -> None:
    versions = {m.version: m.checksum for m in load_mssql_migrations()}
    cursor = RecordingCursor(versions, procedures_checksum(load_procedures()))
    assert apply(cursor) == []
    todo = plan(RecordingCursor(versions, procedures_checksum(load_procedures())))
    assert todo.migrations == []
    assert todo.procedures is None
    assert "Nothing to do" in render_script(todo.migrations, todo.procedures)


def test_changed_procedures_alone_are_reapplied() -> None:
    versions = {m.version: m.checksum for m in load_mssql_migrations()}
    cursor = RecordingCursor(versions, "0" * 64)
    assert apply(cursor) == [f"{len(load_procedures())} procedures"]


def test_an_edited_migration_is_refused() -> None:
    versions = {m.version: m.checksum for m in load_mssql_migrations()}
    versions[1] = "f" * 64
    with pytest.raises(MigrationError, match="edited after it was applied"):
        apply(RecordingCursor(versions))


def test_a_database_from_a_newer_release_is_refused() -> None:
    versions = {m.version: m.checksum for m in load_mssql_migrations()}
    versions[999] = "a" * 64
    with pytest.raises(MigrationError, match="newer release"):
        plan(RecordingCursor(versions))


def test_dry_run_planning_only_reads() -> None:
    cursor = RecordingCursor()
    plan(cursor)
    assert all(sql.lstrip().upper().startswith("SELECT") for sql in cursor.sent)


_statement = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",
    ),
    min_size=1,
    max_size=40,
).filter(
    lambda line: (
        line.strip()
        and not line.strip().startswith("--")
        and line.strip().upper() != "GO"
        and not line.strip().upper().startswith("GO ")
    )
)


@given(st.lists(st.lists(_statement, min_size=1, max_size=4), min_size=1, max_size=6))
def test_splitting_a_joined_script_gives_back_its_batches(batches: list[list[str]]) -> None:
    texts = ["\n".join(lines) for lines in batches]
    script = "\nGO\n".join(texts) + "\nGO\n"
    assert split_batches(script) == [text.strip() for text in texts]
