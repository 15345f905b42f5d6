"""ChatSession over a real server: the models the windows show, without the windows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from parley.client.bundled_server import BundledServer
from parley.client.chat_session import ChatSession
from parley.client.connection import Connection, PasswordAuth, TokenAuth
from parley.client.outbox import Outbox

PASSWORD = "correct horse battery staple"


def sign_up(run: Callable[..., Any], server: BundledServer, home: Path, name: str) -> ChatSession:
    connection = Connection(server.url, max_backoff=0.5)
    me = run(connection.open(PasswordAuth(username=name, password=PASSWORD, register=True)))
    return ChatSession(connection, Outbox(home / f"{name}.outbox.json"), me)


@pytest.fixture
def pair(run: Callable[..., Any], server: BundledServer, tmp_path: Path, unique_name: Any) -> Any:
    alice = sign_up(run, server, tmp_path, unique_name("alice"))
    bob = sign_up(run, server, tmp_path, unique_name("bob"))
    yield alice, bob
    for session in (alice, bob):
        run(session.aclose())
        run(session.connection.close())


def test_message_reaches_the_other_session_and_counts_as_unread(qtbot: Any, pair: Any) -> None:
    alice, bob = pair
    conversation = alice.conversation_with(bob.me)
    alice.messages(conversation)
    alice.send_text(conversation, "hello bob")
    qtbot.waitUntil(lambda: bob.conversations.summary(conversation) is not None)
    qtbot.waitUntil(lambda: bob.conversations.summary(conversation).unread_count == 1)
    assert bob.conversations.total_unread == 1
    model = bob.messages(conversation)
    qtbot.waitUntil(lambda: [m.text for m in model.messages()] == ["hello bob"])
    assert not alice.outbox.pending()


def test_messages_written_offline_survive_a_restart_and_go_out_once(
    qtbot: Any,
    run: Callable[..., Any],
    server: BundledServer,
    tmp_path: Path,
    unique_name: Any,
) -> None:
    alice = sign_up(run, server, tmp_path, unique_name("alice"))
    bob = sign_up(run, server, tmp_path, unique_name("bob"))
    conversation = alice.conversation_with(bob.me)
    alice.send_text(conversation, "first")
    qtbot.waitUntil(lambda: not alice.outbox.pending(), timeout=10_000)

    # Offline: the app is closed with a message still in its outbox.
    run(alice.connection.close())
    alice.send_text(conversation, "written offline")
    assert [e.text for e in alice.outbox.pending()] == ["written offline"]
    outbox_path = tmp_path / f"{alice.me.username}.outbox.json"
    run(alice.aclose())

    # Next start: a new connection and session over the same outbox file.
    connection = Connection(server.url, max_backoff=0.5)
    assert alice.connection.user is not None
    assert alice.connection.token is not None
    me = run(connection.open(TokenAuth(username=alice.me.username, token=alice.connection.token)))
    restarted = ChatSession(connection, Outbox(outbox_path), me)
    qtbot.waitUntil(lambda: not restarted.outbox.pending(), timeout=10_000)
    received = bob.messages(conversation)
    qtbot.waitUntil(
        lambda: [m.text for m in received.messages()] == ["first", "written offline"],
        timeout=10_000,
    )
    run(restarted.aclose())
    run(connection.close())
    run(bob.aclose())
    run(bob.connection.close())
