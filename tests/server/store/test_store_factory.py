"""Database URLs: which backend, which file, which options."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from parley.server.store.factory import UnsupportedDatabaseUrl, open_store
from parley.server.store.sqlite import SqliteStore
from parley.server.store.sqlite_engine import Synchronous
from parley.shared.models import Role


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///tmp/x.db", "/tmp/x.db"),
        ("sqlite:////tmp/x.db", "/tmp/x.db"),
        ("sqlite://data/chat.db", "data/chat.db"),
        ("/srv/parley/chat.db", "/srv/parley/chat.db"),
        ("chat.db", "chat.db"),
        ("sqlite://:memory:", ":memory:"),
        ("sqlite:///:memory:", ":memory:"),
        (":memory:", ":memory:"),
    ],
)
def test_sqlite_urls_name_the_file(url: str, path: str) -> None:
    store = open_store(url)

    assert isinstance(store, SqliteStore)
    assert store.path == path
    assert store.synchronous == Synchronous.FULL


def test_sqlite_options_come_from_the_query() -> None:
    store = open_store("sqlite:///var/chat.db?synchronous=normal&readers=4")

    assert isinstance(store, SqliteStore)
    assert (store.path, store.synchronous) == ("/var/chat.db", Synchronous.NORMAL)


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("", "empty"),
        ("postgres://db/chat", "Unknown database kind"),
        ("sqlite:/chat.db", "not a SQLite URL"),
        ("sqlite:///chat.db?synchronous=off", "synchronous"),
        ("sqlite:///chat.db?readers=0", "readers"),
        ("sqlite:///chat.db?journal=delete", "Unknown SQLite option"),
        ("sqlite://", "names no database"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(url: str, complaint: str) -> None:
    with pytest.raises(UnsupportedDatabaseUrl, match=complaint):
        open_store(url)


def test_mssql_urls_go_to_the_sql_server_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[str] = []

    class RecordingMssqlStore:
        def __init__(self, url: str) -> None:
            created.append(url)

    module = types.ModuleType("parley.server.store.mssql")
    module.MssqlStore = RecordingMssqlStore
    monkeypatch.setitem(sys.modules, "parley.server.store.mssql", module)

    store = open_store("mssql://parley@db.example/chat?driver=ODBC+Driver+18")

    assert isinstance(store, RecordingMssqlStore)
    assert created == ["mssql://parley@db.example/chat?driver=ODBC+Driver+18"]


async def test_opened_store_from_a_url_works(tmp_path: Path) -> None:
    store = open_store(f"sqlite://{tmp_path}/nested/dir/chat.db")
    await store.open()
    try:
        user = await store.create_user(
            username="first", display_name="First", password_hash="h", role=Role.ADMIN
        )
        assert await store.get_user(user.id) == user
    finally:
        await store.close()
    assert (tmp_path / "nested" / "dir" / "chat.db").exists()
