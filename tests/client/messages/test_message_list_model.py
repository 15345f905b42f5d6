"""The message model: ordering, no duplicates, outbox rows, the bounded window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from parley.client.messages import model as message_model
from parley.client.messages.model import MessageListModel, Role
from parley.client.outbox import OutboxEntry
from parley.shared.models import Message, ModerationStatus, PreModerationStatus

CONVERSATION = "1-2"
START = datetime(2026, 1, 1, tzinfo=UTC)


def message(message_id: int, *, sender: int = 2, client_id: str | None = None) -> Message:
    return Message(
        id=message_id,
        conversation_id=CONVERSATION,
        sender_id=sender,
        receiver_id=3 - sender,
        text=f"message {message_id}",
        sent_at=START + timedelta(seconds=message_id),
        client_message_id=client_id,
    )


def ids(model: MessageListModel) -> list[int | None]:
    return [model.index(row).data(Role.MESSAGE_ID) for row in range(model.rowCount())]


def test_messages_stay_ordered_and_unique(qtmodeltester: Any) -> None:
    model = MessageListModel(CONVERSATION, own_user_id=1)
    model.add_messages([message(5), message(3)])
    model.add_messages([message(4), message(5), message(6)])
    model.add_messages([message(9, sender=1)])
    assert ids(model) == [3, 4, 5, 6, 9]
    assert model.index(4).data(Role.OWN) is True
    qtmodeltester.check(model)


def test_a_confirmed_message_replaces_its_sending_row() -> None:
    model = MessageListModel(CONVERSATION, own_user_id=1)
    model.add_messages([message(1)])
    entry = OutboxEntry(
        client_message_id="abc", conversation_id=CONVERSATION, to=2, text="hello", created_at=START
    )
    model.add_pending(entry)
    assert ids(model) == [1, None]
    model.add_messages([message(2, sender=1, client_id="abc")])
    assert ids(model) == [1, 2]
    assert model.pending() == []


def test_history_pages_are_prepended_oldest_first() -> None:
    model = MessageListModel(CONVERSATION, own_user_id=1)
    model.add_messages([message(10), message(11)])
    model.add_history_page([message(9), message(8)], has_more=True)
    model.add_history_page([message(7), message(10)], has_more=False)
    assert ids(model) == [7, 8, 9, 10, 11]
    assert not model.has_more


def test_the_window_slides_and_older_rows_come_back(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(message_model, "WINDOW", 10)
    monkeypatch.setattr(message_model, "REVEAL_STEP", 4)
    model = MessageListModel(CONVERSATION, own_user_id=1)
    model.add_messages([message(i) for i in range(1, 26)])
    assert ids(model) == list(range(16, 26))
    assert len(model.messages()) == 25  # still loaded, just not shown
    assert model.reveal_older()
    assert ids(model)[:5] == [12, 13, 14, 15, 16]
    while model.reveal_older():
        pass
    assert ids(model)[0] == 1
    with qtbot.waitSignal(model.older_needed):
        model.reveal_older()  # nothing left locally: ask the server


def test_deletion_and_moderation_update_rows() -> None:
    model = MessageListModel(CONVERSATION, own_user_id=1)
    model.add_messages([message(1), message(2), message(3, sender=1)])
    model.apply_deleted(1, for_everyone=False)
    model.apply_deleted(2, for_everyone=True)
    assert ids(model) == [2, 3]
    deleted = model.message(2)
    assert deleted is not None
    assert deleted.deleted
    assert deleted.text == ""
    removed = model.apply_moderation(3, ModerationStatus.REMOVED, PreModerationStatus.UNSPECIFIED)
    assert removed is not None
    assert removed.text == ""
    assert removed.moderation_status == ModerationStatus.REMOVED
