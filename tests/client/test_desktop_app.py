"""The desktop app end to end: real windows, offscreen, against a real server.

Two (or three) users each get the real MainWindow over their own websocket session to
one in-process server on 127.0.0.1 with a temporary database. The tests act through
the widgets (typing in the composer, the list's actions) and wait for what the other
user's window shows; no fixed sleeps anywhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from parley.client.bundled_server import BundledServer
from parley.client.chat_session import ChatSession
from parley.client.connect_dialog import ConnectDialog
from parley.client.connection import Connection, ConnectionStatus, PasswordAuth
from parley.client.credentials import TokenStore
from parley.client.login_dialog import LoginDialog
from parley.client.main_window import MainWindow
from parley.client.messages.model import delivery_state
from parley.client.moderation_notices import notice_for_sender
from parley.client.new_conversation_dialog import NewConversationDialog
from parley.client.outbox import Outbox
from parley.client.qt import QtCore
from parley.shared.models import Message, ModerationStatus, PreModerationStatus

PASSWORD = "correct horse battery staple"
WAIT_MS = 10_000

Opener = Callable[[str], MainWindow]


@pytest.fixture
def open_window(
    qtbot: Any,
    run: Callable[..., Any],
    server: BundledServer,
    tmp_path: Path,
    unique_name: Callable[[str], str],
) -> Iterator[Opener]:
    """Register a new user and open their main window (closed and signed off after)."""
    windows: list[MainWindow] = []

    def opener(prefix: str) -> MainWindow:
        name = unique_name(prefix)
        connection = Connection(server.url, max_backoff=0.5)
        me = run(connection.open(PasswordAuth(username=name, password=PASSWORD, register=True)))
        session = ChatSession(connection, Outbox(tmp_path / f"{name}.outbox.json"), me)
        window = MainWindow(session)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield opener
    for window in windows:
        run(window.session.aclose())
        run(window.session.connection.close())


def focus(qtbot: Any, window: MainWindow) -> None:
    window.activateWindow()
    window.raise_()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)


def type_and_send(qtbot: Any, window: MainWindow, text: str) -> None:
    """Type like a person: Shift+Enter between lines, Enter to send."""
    edit = window.conversation.composer.edit
    for number, line in enumerate(text.split("\n")):
        if number:
            qtbot.keyClick(edit, QtCore.Qt.Key.Key_Return, QtCore.Qt.KeyboardModifier.ShiftModifier)
        qtbot.keyClicks(edit, line)
    qtbot.keyClick(edit, QtCore.Qt.Key.Key_Return)


def texts(window: MainWindow, conversation_id: str) -> list[str]:
    return [m.text for m in window.session.messages(conversation_id).messages()]


def start_chat(qtbot: Any, sender: MainWindow, receiver: MainWindow, text: str) -> str:
    """Sender opens a conversation with receiver and sends; both see it. Its id."""
    sender.start_conversation(receiver.session.me)
    conversation = sender.conversation.conversation_id
    assert conversation is not None
    type_and_send(qtbot, sender, text)
    qtbot.waitUntil(
        lambda: receiver.session.conversations.summary(conversation) is not None, timeout=WAIT_MS
    )
    return conversation


def test_register_then_sign_in_through_the_dialog(
    qtbot: Any, qloop: Any, server: BundledServer, tmp_path: Path, run: Callable[..., Any]
) -> None:
    tokens = TokenStore(fallback_file=tmp_path / "tokens.json", use_keyring=False)
    dialog = LoginDialog(server.url, "test server", "test", tokens)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_registering(True)
    qtbot.keyClicks(dialog.username, "dana")
    qtbot.keyClicks(dialog.display_name, "Dana Scully")
    qtbot.keyClicks(dialog.password, PASSWORD)
    with qtbot.waitSignal(dialog.signed_in, timeout=WAIT_MS) as signed_in:
        qtbot.mouseClick(dialog.submit_button, QtCore.Qt.MouseButton.LeftButton)
    registered: Connection = signed_in.args[0]
    assert registered.user is not None
    assert registered.user.display_name == "Dana Scully"
    saved = tokens.load("test")
    assert saved == ("dana", registered.token)
    assert (tmp_path / "tokens.json").stat().st_mode & 0o077 == 0
    run(registered.close())

    again = LoginDialog(server.url, "test server", "test", tokens)
    qtbot.addWidget(again)
    again.show()
    qtbot.keyClicks(again.username, "dana")
    qtbot.keyClicks(again.password, "not the password")
    qtbot.mouseClick(again.submit_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: again.error.isVisible(), timeout=WAIT_MS)
    assert again.error.text()  # the server's sentence, shown next to the fields
    again.password.clear()
    qtbot.keyClicks(again.password, PASSWORD)
    with qtbot.waitSignal(again.signed_in, timeout=WAIT_MS) as signed_in:
        qtbot.keyClick(again.password, QtCore.Qt.Key.Key_Return)
    signed: Connection = signed_in.args[0]
    assert signed.user is not None
    assert signed.user.id == registered.user.id
    run(signed.close())


def test_send_and_receive_between_two_windows(qtbot: Any, open_window: Opener) -> None:
    alice, bob = open_window("alice"), open_window("bob")
    focus(qtbot, alice)
    with qtbot.waitSignal(bob.notifier.notified, timeout=WAIT_MS) as notified:
        conversation = start_chat(qtbot, alice, bob, "Hi Bob, lunch at noon?")
    assert notified.args == [alice.session.me.display_name, "Hi Bob, lunch at noon?"]
    row = bob.session.conversations.row_of(conversation)
    assert row == 0
    bob.conversation_list.select(conversation)
    assert bob.conversation.conversation_id == conversation
    qtbot.waitUntil(lambda: texts(bob, conversation) == ["Hi Bob, lunch at noon?"], timeout=WAIT_MS)

    type_and_send(qtbot, bob, "Sure!\nSee you there")
    qtbot.waitUntil(
        lambda: texts(alice, conversation) == ["Hi Bob, lunch at noon?", "Sure!\nSee you there"],
        timeout=WAIT_MS,
    )
    mine = alice.session.messages(conversation)
    assert not mine.pending()  # the sending bubble became the confirmed one
    assert delivery_state(mine.messages()[0]) in ("sent", "read")


def test_unread_badge_rises_and_clears(qtbot: Any, open_window: Opener) -> None:
    alice, bob = open_window("alice"), open_window("bob")
    focus(qtbot, alice)
    conversation = start_chat(qtbot, alice, bob, "one")
    type_and_send(qtbot, alice, "two")
    summaries = bob.session.conversations
    qtbot.waitUntil(lambda: summaries.summary(conversation).unread_count == 2, timeout=WAIT_MS)
    assert summaries.total_unread == 2
    assert bob.windowTitle() == "Parley (2)"

    focus(qtbot, bob)
    bob.conversation_list.select(conversation)
    qtbot.waitUntil(lambda: summaries.summary(conversation).unread_count == 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: bob.windowTitle() == "Parley", timeout=WAIT_MS)

    # Open and focused: a new message is read as it arrives, the badge never stays.
    focus(qtbot, alice)
    type_and_send(qtbot, alice, "three")
    qtbot.waitUntil(lambda: "three" in texts(bob, conversation), timeout=WAIT_MS)
    focus(qtbot, bob)
    qtbot.waitUntil(lambda: summaries.summary(conversation).unread_count == 0, timeout=WAIT_MS)


def test_pin_moves_a_conversation_to_the_top(qtbot: Any, open_window: Opener) -> None:
    alice, carol, bob = open_window("alice"), open_window("carol"), open_window("bob")
    with_alice = start_chat(qtbot, alice, bob, "from alice")
    with_carol = start_chat(qtbot, carol, bob, "from carol")
    summaries = bob.session.conversations
    qtbot.waitUntil(
        lambda: summaries.conversation_ids() == [with_carol, with_alice], timeout=WAIT_MS
    )

    bob.conversation_list.select(with_alice)
    menu = bob.conversation_list.build_menu(summaries.summary(with_alice))
    pin = next(a for a in menu.actions() if a.text() == "Pin to top")
    pin.trigger()
    qtbot.waitUntil(
        lambda: summaries.conversation_ids() == [with_alice, with_carol], timeout=WAIT_MS
    )
    assert summaries.summary(with_alice).pinned
    # The selection followed the row as it moved.
    assert bob.conversation_list.current_summary().conversation_id == with_alice

    # A newer message elsewhere does not push a pinned conversation down.
    type_and_send(qtbot, carol, "still there?")
    qtbot.waitUntil(lambda: summaries.summary(with_carol).unread_count == 2, timeout=WAIT_MS)
    assert summaries.conversation_ids() == [with_alice, with_carol]


def test_archive_then_a_new_message_brings_it_back(qtbot: Any, open_window: Opener) -> None:
    alice, bob = open_window("alice"), open_window("bob")
    conversation = start_chat(qtbot, alice, bob, "hello")
    summaries = bob.session.conversations
    bob.conversation_list.select(conversation)
    bob.conversation_list.actions_by_name["archive"].trigger()
    qtbot.waitUntil(lambda: summaries.archived_ids() == [conversation], timeout=WAIT_MS)
    assert conversation not in summaries.conversation_ids()
    assert summaries.header_row() == 0  # the "Archived chats" row
    summaries.set_archived_expanded(True)
    assert summaries.conversation_ids() == [conversation]  # shown under the header
    summaries.set_archived_expanded(False)

    type_and_send(qtbot, alice, "are you there?")
    qtbot.waitUntil(lambda: summaries.conversation_ids() == [conversation], timeout=WAIT_MS)
    assert summaries.archived_ids() == []
    assert summaries.header_row() is None


def test_delete_for_everyone_updates_both_windows(qtbot: Any, open_window: Opener) -> None:
    alice, bob = open_window("alice"), open_window("bob")
    conversation = start_chat(qtbot, alice, bob, "oops, wrong chat")
    bob.conversation_list.select(conversation)
    qtbot.waitUntil(lambda: texts(bob, conversation) == ["oops, wrong chat"], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: texts(alice, conversation) == ["oops, wrong chat"], timeout=WAIT_MS)
    message = alice.session.messages(conversation).messages()[0]

    menu = alice.conversation.build_menu(message)
    delete = next(a for a in menu.actions() if a.text() == "Delete for everyone")
    delete.trigger()

    def deleted(window: MainWindow) -> bool:
        shown = window.session.messages(conversation).messages()
        return len(shown) == 1 and shown[0].deleted and shown[0].text == ""

    qtbot.waitUntil(lambda: deleted(alice) and deleted(bob), timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: bob.session.conversations.summary(conversation).last_message.deleted,
        timeout=WAIT_MS,
    )
    # Bob can no longer offer "Delete for everyone" (not his), nor report a deleted one.
    labels = [
        a.text() for a in bob.conversation.build_menu(deleted_message(bob, conversation)).actions()
    ]
    assert "Delete for everyone" not in labels
    assert "Report to moderators…" not in labels


def deleted_message(window: MainWindow, conversation: str) -> Message:
    return window.session.messages(conversation).messages()[0]


def test_moderation_notice_reaches_the_sender(
    qtbot: Any, open_window: Opener, server: BundledServer
) -> None:
    alice, bob = open_window("alice"), open_window("bob")
    conversation = start_chat(qtbot, alice, bob, "you are an idiot")
    qtbot.waitUntil(lambda: len(texts(alice, conversation)) == 1, timeout=WAIT_MS)
    message = alice.session.messages(conversation).messages()[0]

    async def flag(parley: Any) -> None:
        services = parley.services
        result = await services.store.set_moderation_status(
            message_id=message.id, status=ModerationStatus.FLAGGED, reason="insult"
        )
        services.publish(result)

    expected = notice_for_sender(
        ModerationStatus.FLAGGED, PreModerationStatus.UNSPECIFIED, "insult"
    )
    with qtbot.waitSignal(alice.session.moderation_notice, timeout=WAIT_MS) as notice:
        server.call(flag)
    assert notice.args[1] == expected
    assert alice.statusBar().currentMessage() == expected
    flagged = alice.session.messages(conversation).messages()[0]
    assert flagged.moderation_status == ModerationStatus.FLAGGED
    # The bubble says it too, right under the message.
    view = alice.conversation.view
    index = view.model().index(0, 0)
    assert "Flagged by moderation" in view.bubbles.layout_for(index).notice_text


def test_server_restart_reconnects_and_catches_up_without_duplicates(
    qtbot: Any, open_window: Opener, server: BundledServer, run: Callable[..., Any]
) -> None:
    alice, bob = open_window("alice"), open_window("bob")
    conversation = start_chat(qtbot, alice, bob, "before the restart")
    bob.conversation_list.select(conversation)
    qtbot.waitUntil(lambda: texts(bob, conversation) == ["before the restart"], timeout=WAIT_MS)

    # Stopped from another thread, so the clients keep answering its close handshake.
    run(asyncio.to_thread(server.stop))
    for window in (alice, bob):
        qtbot.waitUntil(
            lambda w=window: w.session.connection.status is ConnectionStatus.RECONNECTING,
            timeout=WAIT_MS,
        )
        assert "Reconnecting" in window.status_label.text()
    # Written while offline: waits in the outbox, shown as sending.
    type_and_send(qtbot, alice, "sent while offline")
    outbox = alice.session.outbox
    assert [e.text for e in outbox.pending()] == ["sent while offline"]

    run(asyncio.to_thread(server.start))
    for window in (alice, bob):
        qtbot.waitUntil(lambda w=window: w.session.connection.is_connected, timeout=WAIT_MS)
    expected = ["before the restart", "sent while offline"]
    qtbot.waitUntil(lambda: texts(bob, conversation) == expected, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: texts(alice, conversation) == expected, timeout=WAIT_MS)
    assert not outbox.pending()
    type_and_send(qtbot, alice, "after the restart")
    qtbot.waitUntil(
        lambda: texts(bob, conversation) == [*expected, "after the restart"], timeout=WAIT_MS
    )
    ids = [m.id for m in bob.session.messages(conversation).messages()]
    assert len(ids) == len(set(ids)) == 3
    qtbot.waitUntil(
        lambda: (
            bob.session.conversations.summary(conversation).last_message.text == "after the restart"
        ),
        timeout=WAIT_MS,
    )


def test_a_refused_send_shows_the_server_error_next_to_the_message(
    qtbot: Any, open_window: Opener
) -> None:
    alice, bob = open_window("alice"), open_window("bob")
    conversation = start_chat(qtbot, alice, bob, "hello")
    bob.conversation_list.select(conversation)
    bob.session.spawn(bob.session.block_user(alice.session.me.id))
    qtbot.waitUntil(
        lambda: bob.session.conversations.summary(conversation).blocked, timeout=WAIT_MS
    )
    # Bob's side says why he cannot write, instead of letting a send fail.
    assert bob.conversation.banner.isVisible()
    assert not bob.conversation.composer.isEnabled()
    with qtbot.waitSignal(alice.session.message_failed, timeout=WAIT_MS) as failed:
        type_and_send(qtbot, alice, "are you ignoring me?")
    model = alice.session.messages(conversation)
    entry = model.pending()[0]
    assert entry.error_message == failed.args[1]
    index = model.index(model.row_of_pending(entry.client_message_id) or 0, 0)
    notice = alice.conversation.view.bubbles.layout_for(index).notice_text
    assert notice.startswith("Not sent: ")
    assert entry.error_message in notice
    labels = [a.text() for a in alice.conversation.build_menu(entry).actions()]
    assert labels == ["Retry sending", "Discard"]


def test_reporting_a_message_reaches_the_moderation_queue(
    qtbot: Any, open_window: Opener, server: BundledServer
) -> None:
    alice, bob = open_window("alice"), open_window("bob")
    conversation = start_chat(qtbot, alice, bob, "buy cheap pills at example.com")
    bob.conversation_list.select(conversation)
    qtbot.waitUntil(lambda: len(texts(bob, conversation)) == 1, timeout=WAIT_MS)
    message = bob.session.messages(conversation).messages()[0]
    assert "Report to moderators…" in [
        a.text() for a in bob.conversation.build_menu(message).actions()
    ]
    with qtbot.waitSignal(bob.session.notice, timeout=WAIT_MS) as notice:
        bob.conversation.flag_message(message.id, "Spam")
    assert "reported" in notice.args[0]


def test_new_conversation_finds_a_user_by_name(qtbot: Any, open_window: Opener) -> None:
    alice, bob = open_window("alice"), open_window("bob")
    dialog = NewConversationDialog(alice.session, alice)
    dialog.user_chosen.connect(alice.start_conversation)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.query, bob.session.me.username[:4])
    qtbot.waitUntil(lambda: any(u.id == bob.session.me.id for u in dialog.found), timeout=WAIT_MS)
    row = next(i for i, u in enumerate(dialog.found) if u.id == bob.session.me.id)
    assert all(u.id != alice.session.me.id for u in dialog.found)  # not yourself
    dialog.results.itemActivated.emit(dialog.results.item(row))
    assert alice.conversation.conversation_id == alice.session.conversation_with(bob.session.me)
    assert alice.conversation.title.text() == bob.session.me.display_name


def test_connect_dialog_takes_only_ws_addresses(qtbot: Any) -> None:
    dialog = ConnectDialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.bundled.isChecked()
    dialog.remote.setChecked(True)
    qtbot.keyClicks(dialog.url, "http://chat.example.com")
    with qtbot.assertNotEmitted(dialog.accepted):
        dialog.try_accept()
    assert dialog.error.isVisible()
    assert "ws://" in dialog.error.text()
    dialog.url.setText("wss://chat.example.com")
    with qtbot.waitSignal(dialog.accepted):
        dialog.try_accept()
    assert dialog.server_url == "wss://chat.example.com"
