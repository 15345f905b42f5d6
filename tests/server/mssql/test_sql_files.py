"""Every file under sql/mssql parses as T-SQL and passes the checked-in lint rules.

sqlfluff's ``tsql`` dialect understands memory-optimized tables, hash indexes and
``BEGIN ATOMIC`` bodies (sqlglot rejects the first and silently drops parts of the
last), so it is the parser these files are held to. One Linter pass over the folder
parses and lints each file once: the whole check takes a few seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlfluff.core import FluffConfig, Linter

MSSQL_DIR = Path(__file__).parents[3] / "sql" / "mssql"
CONFIG = MSSQL_DIR / ".sqlfluff"


def sql_files() -> list[Path]:
    return sorted(MSSQL_DIR.rglob("*.sql"))


@pytest.fixture(scope="module")
def linted() -> dict[str, list[str]]:
    """File name (relative to sql/mssql) -> its violations, parse errors included."""
    config = FluffConfig.from_path(str(MSSQL_DIR))
    result = Linter(config=config).lint_paths((str(MSSQL_DIR),))
    found: dict[str, list[str]] = {}
    for linted_file in (f for directory in result.paths for f in directory.files):
        name = Path(linted_file.path).resolve().relative_to(MSSQL_DIR.resolve()).as_posix()
        found[name] = [f"line {v.line_no}: {v.desc()}" for v in linted_file.get_violations()]
    return found


def test_the_lint_configuration_is_checked_in_and_names_the_tsql_dialect() -> None:
    text = CONFIG.read_text(encoding="utf-8")
    assert "dialect = tsql" in text


def test_every_sql_file_was_parsed(linted: dict[str, list[str]]) -> None:
    expected = {p.relative_to(MSSQL_DIR).as_posix() for p in sql_files()}
    assert expected  # the folder is not empty
    assert set(linted) == expected


@pytest.mark.parametrize("name", [p.relative_to(MSSQL_DIR).as_posix() for p in sql_files()])
def test_sql_file_parses_as_tsql_and_is_lint_clean(linted: dict[str, list[str]], name: str) -> None:
    assert linted[name] == []


def test_an_unparsable_statement_is_reported(tmp_path: Path) -> None:
    """The check can fail: T-SQL sqlfluff does not understand is a violation."""
    bad = tmp_path / "bad.sql"
    bad.write_text("CREATE TABLE dbo.T (a int) WITH (NONSENSE ON) GARBAGE;\nGO\n")
    config = FluffConfig(overrides={"dialect": "tsql"})
    parsed = Linter(config=config).parse_path(str(bad))
    violations = [v for p in parsed for v in p.violations]
    assert any("unparsable" in v.desc().lower() for v in violations)
