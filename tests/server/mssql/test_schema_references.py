"""Names the procedures use exist in the schema the migrations create.

No server compiles the procedures here, so a misspelt table or column would only show
when ``db upgrade`` runs on a real one. These checks read the CREATE TABLE statements
of the migrations and hold every ``dbo.`` reference and every INSERT column list of the
procedures against them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from parley.server.store.mssql_migrations import load_mssql_migrations, load_procedures

_CREATE_TABLE = re.compile(r"CREATE TABLE dbo\.(\w+) \((.*?)\n\s*\)(?: WITH| ON|;)", re.S)
_COLUMN = re.compile(r"^\s+(\w+) (?:bigint|int|tinyint|bit|n?varchar|datetime2|float)\b", re.M)
_CREATE_OBJECT = re.compile(r"CREATE (?:OR ALTER )?(?:PROCEDURE|VIEW|FUNCTION) dbo\.(\w+)")
_INSERT = re.compile(r"INSERT (?:INTO )?dbo\.(\w+) \(([^)]*)\)", re.S)
_UPDATE = re.compile(r"UPDATE dbo\.(\w+)\s+SET\s+(.*?)\s+WHERE\b", re.S)
_ASSIGNED = re.compile(r"(?:^|,)\s*(\w+) = ")


def strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def tables() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for migration in load_mssql_migrations():
        for name, body in _CREATE_TABLE.findall(strip_comments(migration.sql)):
            found[name] = set(_COLUMN.findall(body))
    return found


def procedure_sources() -> list[tuple[str, str]]:
    return [(p.name, strip_comments(p.sql)) for p in load_procedures()]


def test_the_migrations_create_the_seed_tables_with_the_seed_columns() -> None:
    schema = tables()
    assert {"ChatUser", "ChatMessage", "UserConversation", "ChatMessageCold"} <= set(schema)
    seed_message = {
        "MessageId", "SenderId", "ReceiverId", "ConversationId", "Text", "DateTime", "Deleted",
        "PreModerationStatus", "Unread", "UnreadNotified", "MessageType", "PayloadJson",
        "ModerationStatus",
    }  # fmt: skip
    assert seed_message <= schema["ChatMessage"]
    assert schema["ChatMessage"] == schema["ChatMessageCold"]
    assert {
        "ConversationId", "UserId", "SecondUserId", "Archived", "Pinned", "LastMessageId",
        "UnreadMessageCount", "CreateDate", "IsInitiatedByUser", "Hidden", "MetadataFlags",
    } == schema["UserConversation"]  # fmt: skip


@pytest.mark.parametrize(("name", "sql"), procedure_sources())
def test_every_dbo_reference_names_an_existing_object(name: str, sql: str) -> None:
    known = set(tables())
    for _, other in procedure_sources():
        known |= set(_CREATE_OBJECT.findall(other))
    referenced = set(re.findall(r"\bdbo\.(\w+)", sql))
    assert referenced - known == set(), name


@pytest.mark.parametrize(("name", "sql"), procedure_sources())
def test_insert_column_lists_name_existing_columns(name: str, sql: str) -> None:
    schema = tables()
    for table, columns in _INSERT.findall(sql):
        listed = {c.strip() for c in columns.split(",")}
        assert listed - schema[table] == set(), f"{name}: {table}"


@pytest.mark.parametrize(("name", "sql"), procedure_sources())
def test_update_statements_set_existing_columns(name: str, sql: str) -> None:
    schema = tables()
    for table, assignments in _UPDATE.findall(sql):
        assigned = set(_ASSIGNED.findall(" ".join(assignments.split())))
        assert assigned
        assert assigned - schema[table] == set(), f"{name}: {table}"


_ALIASED_TABLE = re.compile(r"(?:FROM|JOIN)\s+dbo\.(\w+)\s+AS\s+(\w+)")
_ALIASED_COLUMN = re.compile(r"\b([a-z]\w{0,2})\.([A-Z]\w*)\b")


def aliased_columns_missing(sql: str) -> set[str]:
    """``alias.Column`` references whose alias names a table lacking that column.

    Aliases of views, functions, temporary tables, or reused for different tables
    within one file are not judged.
    """
    schema = tables()
    aliases: dict[str, str | None] = {}
    for table, alias in _ALIASED_TABLE.findall(sql):
        aliases[alias] = table if aliases.get(alias, table) == table else None
    missing: set[str] = set()
    for alias, column in _ALIASED_COLUMN.findall(sql):
        table = aliases.get(alias)
        if table in schema and column not in schema[table]:
            missing.add(f"{table}.{column}")
    return missing


@pytest.mark.parametrize(("name", "sql"), procedure_sources())
def test_aliased_column_references_name_existing_columns(name: str, sql: str) -> None:
    assert aliased_columns_missing(sql) == set(), name


def test_the_aliased_column_check_can_fail() -> None:
    sql = (
        "SELECT i.Priorty FROM dbo.ReviewItem AS i INNER JOIN dbo.ReviewVote AS v ON v.ItemId = 1;"
    )
    assert aliased_columns_missing(sql) == {"ReviewItem.Priorty"}


def test_the_reference_check_can_fail(tmp_path: Path) -> None:
    sql = "INSERT dbo.ChatMessage (MessageId, Txet) VALUES (1, N'x');"
    [(table, columns)] = _INSERT.findall(sql)
    assert {c.strip() for c in columns.split(",")} - tables()[table] == {"Txet"}
