"""Pre-moderation seen from the desktop app: a held first message says so plainly to
its sender, stays invisible to the receiver, and a moderator's refusal is told."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from parley.client.bundled_server import BundledServer
from parley.client.chat_session import ChatSession
from parley.client.connection import Connection, PasswordAuth
from parley.client.main_window import MainWindow
from parley.client.moderation_notices import notice_for_sender
from parley.client.outbox import Outbox
from parley.client.qt import QtCore
from parley.shared import protocol
from parley.shared.models import ModerationStatus, PreModerationStatus, Role

PASSWORD = "correct horse battery staple"
WAIT_MS = 10_000


@pytest.fixture
def premoderated(tmp_path: Path) -> Iterator[BundledServer]:
    bundled = BundledServer(
        tmp_path / "premoderated.db",
        premoderate_first=True,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        use_uvloop=False,
    )
    bundled.start()
    yield bundled
    bundled.stop()


def test_a_held_first_message_and_its_rejection_are_shown_to_the_sender(
    qtbot: Any,
    run: Callable[..., Any],
    premoderated: BundledServer,
    tmp_path: Path,
    unique_name: Callable[[str], str],
) -> None:
    def sign_up(name: str) -> Connection:
        connection = Connection(premoderated.url, max_backoff=0.5)
        run(connection.open(PasswordAuth(username=name, password=PASSWORD, register=True)))
        return connection

    alice_connection, bob_connection = sign_up(unique_name("alice")), sign_up(unique_name("bob"))
    moderator_name = unique_name("mod")
    moderator = sign_up(moderator_name)
    assert moderator.user is not None
    moderator_id = moderator.user.id
    run(moderator.close())
    premoderated.call(lambda s: s.services.store.set_user_role(moderator_id, Role.MODERATOR))
    moderator = Connection(premoderated.url)
    run(moderator.open(PasswordAuth(username=moderator_name, password=PASSWORD)))

    assert alice_connection.user is not None
    assert bob_connection.user is not None
    alice = MainWindow(
        ChatSession(alice_connection, Outbox(tmp_path / "a.json"), alice_connection.user)
    )
    bob = ChatSession(bob_connection, Outbox(tmp_path / "b.json"), bob_connection.user)
    qtbot.addWidget(alice)
    alice.show()
    alice.start_conversation(bob.me)
    conversation = alice.conversation.conversation_id
    assert conversation is not None
    qtbot.keyClicks(alice.conversation.composer.edit, "Hi, we met at the meetup")
    qtbot.keyClick(alice.conversation.composer.edit, QtCore.Qt.Key.Key_Return)

    messages = alice.session.messages(conversation)
    qtbot.waitUntil(lambda: len(messages.messages()) == 1, timeout=WAIT_MS)
    held = messages.messages()[0]
    assert held.premoderation_status == PreModerationStatus.PENDING
    bubble = alice.conversation.view.bubbles.layout_for(messages.index(0, 0))
    assert "approval" in bubble.notice_text
    # The receiver sees nothing of it yet.
    assert bob.conversations.summary(conversation) is None or (
        bob.conversations.summary(conversation).hidden
    )

    expected = notice_for_sender(
        ModerationStatus.UNSPECIFIED, PreModerationStatus.REJECTED, "unsolicited"
    )
    with qtbot.waitSignal(alice.session.moderation_notice, timeout=WAIT_MS) as notice:
        reply = run(
            moderator.request(
                protocol.SetPreModeration, message_id=held.id, approved=False, reason="unsolicited"
            )
        )
    assert isinstance(reply, protocol.Ok)
    assert notice.args[1] == expected
    assert alice.statusBar().currentMessage() == expected
    assert messages.messages()[0].premoderation_status == PreModerationStatus.REJECTED

    run(alice.session.aclose())
    run(bob.aclose())
    for connection in (alice_connection, bob_connection, moderator):
        run(connection.close())
