"""Pure conversation rules: ids, participants, pre-moderation, visibility, limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley.shared.conversations import (
    MAX_PAYLOAD_LENGTH,
    MAX_TEXT_LENGTH,
    conversation_id,
    hidden_from_receiver,
    other_participant,
    participants,
    premoderation_status_for,
    redacted,
    validate_message_text,
    validate_payload,
    visible_to,
)
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.models import Message, ModerationStatus, PreModerationStatus

user_ids = st.integers(min_value=1, max_value=2**53)


@given(user_ids, user_ids)
def test_conversation_id_is_the_same_in_both_directions(a: int, b: int) -> None:
    assert conversation_id(a, b) == conversation_id(b, a)


@given(user_ids, user_ids)
def test_participants_recovers_both_users(a: int, b: int) -> None:
    if a == b:
        return
    assert participants(conversation_id(a, b)) == (min(a, b), max(a, b))
    assert other_participant(conversation_id(a, b), a) == b
    assert other_participant(conversation_id(a, b), b) == a


@pytest.mark.parametrize(
    "bad", ["", "1", "2-1", "1-1", "0-3", "-1-2", "1-2-3", "a-b", "01-2", " 1-2"]
)
def test_malformed_conversation_ids_are_not_found(bad: str) -> None:
    with pytest.raises(ParleyError) as caught:
        participants(bad)
    assert caught.value.code is ErrorCode.NOT_FOUND


def test_a_stranger_is_told_the_conversation_does_not_exist() -> None:
    with pytest.raises(ParleyError) as caught:
        other_participant("1-2", 3)
    assert caught.value.code is ErrorCode.NOT_FOUND


@pytest.mark.parametrize(
    ("premoderate", "first", "expected"),
    [
        (True, True, PreModerationStatus.PENDING),
        (True, False, PreModerationStatus.UNSPECIFIED),
        (False, True, PreModerationStatus.UNSPECIFIED),
        (False, False, PreModerationStatus.UNSPECIFIED),
    ],
)
def test_only_a_first_message_under_premoderation_is_held(
    premoderate: bool, first: bool, expected: PreModerationStatus
) -> None:
    assert premoderation_status_for(premoderate_first=premoderate, is_first=first) is expected


@pytest.mark.parametrize(
    ("status", "hidden"),
    [
        (PreModerationStatus.UNSPECIFIED, False),
        (PreModerationStatus.PENDING, True),
        (PreModerationStatus.APPROVED, False),
        (PreModerationStatus.REJECTED, True),
    ],
)
def test_hidden_from_receiver_follows_the_seed(status: PreModerationStatus, hidden: bool) -> None:
    assert hidden_from_receiver(status) is hidden


def _message(**changes: object) -> Message:
    base = {
        "id": 1,
        "conversation_id": "1-2",
        "sender_id": 1,
        "receiver_id": 2,
        "text": "secret",
        "sent_at": datetime(2026, 1, 1, tzinfo=UTC),
        "payload": '{"k": 1}',
    }
    base.update(changes)
    return Message(**base)  # type: ignore[arg-type]


def test_sender_always_sees_a_held_message_and_receiver_does_not() -> None:
    held = _message(premoderation_status=PreModerationStatus.PENDING)
    assert visible_to(held, 1)
    assert not visible_to(held, 2)
    assert not visible_to(_message(), 3)


@pytest.mark.parametrize(
    ("status", "visible"),
    [
        (ModerationStatus.UNSPECIFIED, True),
        (ModerationStatus.APPROVED, True),
        (ModerationStatus.FLAGGED, True),
        (ModerationStatus.HIDDEN, False),
        (ModerationStatus.REMOVED, True),
        (ModerationStatus.IN_REVIEW, False),
    ],
)
def test_moderation_status_decides_what_the_receiver_sees(
    status: ModerationStatus, visible: bool
) -> None:
    assert visible_to(_message(moderation_status=status), 2) is visible


def test_deleted_and_removed_messages_travel_without_text_or_payload() -> None:
    for message in (_message(deleted=True), _message(moderation_status=ModerationStatus.REMOVED)):
        shown = redacted(message)
        assert (shown.text, shown.payload) == ("", None)
    assert redacted(_message()).text == "secret"


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_blank_text_is_an_empty_message(text: str) -> None:
    with pytest.raises(ParleyError) as caught:
        validate_message_text(text)
    assert caught.value.code is ErrorCode.EMPTY_MESSAGE


def test_text_limit_is_inclusive_and_configurable() -> None:
    validate_message_text("x" * MAX_TEXT_LENGTH)
    with pytest.raises(ParleyError) as caught:
        validate_message_text("x" * (MAX_TEXT_LENGTH + 1))
    assert caught.value.code is ErrorCode.TEXT_TOO_LONG
    assert str(MAX_TEXT_LENGTH) in caught.value.message
    with pytest.raises(ParleyError):
        validate_message_text("x" * 11, max_length=10)


def test_payload_limit() -> None:
    validate_payload(None)
    validate_payload("x" * MAX_PAYLOAD_LENGTH)
    with pytest.raises(ParleyError) as caught:
        validate_payload("x" * (MAX_PAYLOAD_LENGTH + 1))
    assert caught.value.code is ErrorCode.PAYLOAD_TOO_LARGE
