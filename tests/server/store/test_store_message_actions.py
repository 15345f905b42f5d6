"""DeleteMessage, FlagMessage and the moderation outcomes, with their events and refusals."""

from __future__ import annotations

import pytest

from parley.server.store.interface import Store
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.events import MessageDeleted, MessageModerationStatusChanged, UserEvent
from parley.shared.models import ModerationStatus, PreModerationStatus, User


def kinds(events: list[UserEvent], user: User) -> list[str]:
    return [type(e.event).__name__ for e in events if e.user_id == user.id]


async def history_ids(store: Store, user: User, conversation: str) -> list[int]:
    page = await store.get_history_page(
        user_id=user.id, conversation_id=conversation, before_message_id=None, limit=50
    )
    return [m.id for m in page.messages]


async def test_delete_for_everyone_leaves_an_empty_placeholder_for_both(
    store: Store, make_user, send, side
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    message = (await send(alice, bob, "oops")).result.message

    result = await store.delete_message(user_id=alice.id, message_id=message.id, for_everyone=True)

    assert kinds(result.events, alice) == ["MessageDeleted", "ConversationChanged"]
    assert kinds(result.events, bob) == ["MessageDeleted", "ConversationChanged"]
    deleted = next(e.event for e in result.events if isinstance(e.event, MessageDeleted))
    assert deleted == MessageDeleted(
        message_id=message.id, conversation_id=message.conversation_id, for_everyone=True
    )
    for user in (alice, bob):
        page = await store.get_history_page(
            user_id=user.id,
            conversation_id=message.conversation_id,
            before_message_id=None,
            limit=10,
        )
        assert [(m.id, m.text, m.deleted) for m in page.messages] == [(message.id, "", True)]
        summary = await side(user, message.conversation_id)
        assert summary is not None
        assert summary.last_message is not None
        assert (summary.last_message.text, summary.last_message.deleted) == ("", True)


async def test_delete_for_everyone_of_an_older_message_leaves_previews_alone(
    store: Store, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    older = (await send(alice, bob, "older")).result.message
    await send(alice, bob, "newer")

    result = await store.delete_message(user_id=alice.id, message_id=older.id, for_everyone=True)

    assert kinds(result.events, alice) == ["MessageDeleted"]
    assert kinds(result.events, bob) == ["MessageDeleted"]


async def test_only_the_sender_can_delete_for_everyone(store: Store, make_user, send) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    message = (await send(alice, bob, "mine")).result.message

    with pytest.raises(ParleyError) as refused:
        await store.delete_message(user_id=bob.id, message_id=message.id, for_everyone=True)

    assert refused.value.code == ErrorCode.FORBIDDEN
    stored = await store.get_message(message.id)
    assert stored is not None
    assert not stored.deleted


async def test_delete_for_me_hides_it_only_from_me(store: Store, make_user, send, side) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    first = (await send(alice, bob, "first")).result.message
    last = (await send(alice, bob, "last")).result.message
    conversation = last.conversation_id

    result = await store.delete_message(user_id=bob.id, message_id=last.id, for_everyone=False)

    assert kinds(result.events, bob) == ["MessageDeleted", "ConversationChanged"]
    assert kinds(result.events, alice) == []
    assert await history_ids(store, bob, conversation) == [first.id]
    assert await history_ids(store, alice, conversation) == [last.id, first.id]
    theirs = await side(bob, conversation)
    assert theirs is not None
    assert theirs.last_message is not None
    assert theirs.last_message.id == first.id  # the preview falls back to what bob still has
    assert theirs.unread_count == 1  # the deleted unread message no longer counts


async def test_a_message_deleted_for_me_cannot_be_acted_on_again(
    store: Store, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    message = (await send(alice, bob)).result.message
    await store.delete_message(user_id=bob.id, message_id=message.id, for_everyone=False)

    for action in (
        store.delete_message(user_id=bob.id, message_id=message.id, for_everyone=False),
        store.flag_message(user_id=bob.id, message_id=message.id, reason="spam"),
    ):
        with pytest.raises(ParleyError) as refused:
            await action
        assert refused.value.code == ErrorCode.NOT_FOUND


async def test_stranger_cannot_delete_or_flag_a_message(store: Store, make_user, send) -> None:
    alice, bob, eve = await make_user("alice"), await make_user("bob"), await make_user("eve")
    message = (await send(alice, bob)).result.message

    for action in (
        store.delete_message(user_id=eve.id, message_id=message.id, for_everyone=False),
        store.delete_message(user_id=eve.id, message_id=message.id, for_everyone=True),
        store.flag_message(user_id=eve.id, message_id=message.id, reason="spam"),
        store.delete_message(
            user_id=alice.id, message_id=message.id + 1_000_000, for_everyone=True
        ),
    ):
        with pytest.raises(ParleyError) as refused:
            await action
        assert refused.value.code == ErrorCode.NOT_FOUND


async def test_receiver_cannot_act_on_a_held_message(store: Store, make_user, send) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    held = (await send(alice, bob, premoderate_first=True)).result.message

    with pytest.raises(ParleyError) as refused:
        await store.flag_message(user_id=bob.id, message_id=held.id, reason="spam")

    assert refused.value.code == ErrorCode.NOT_FOUND


async def test_flags_are_counted_once_per_user(store: Store, make_user, send) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    message = (await send(alice, bob, "rude")).result.message

    assert await store.flag_message(user_id=bob.id, message_id=message.id, reason="insult") == 1
    assert await store.flag_message(user_id=bob.id, message_id=message.id, reason="again") == 1
    assert await store.flag_message(user_id=alice.id, message_id=message.id, reason="mine") == 2


async def test_approving_a_held_message_reveals_it_to_the_receiver(
    store: Store, make_user, send, side
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    held = (await send(alice, bob, "hello?", premoderate_first=True)).result.message
    conversation = held.conversation_id

    result = await store.set_premoderation_status(
        message_id=held.id, status=PreModerationStatus.APPROVED, reason="fine"
    )

    assert kinds(result.events, alice) == ["MessageModerationStatusChanged", "ConversationChanged"]
    assert kinds(result.events, bob) == [
        "MessageModerationStatusChanged",
        "MessageReceived",
        "ConversationChanged",
    ]
    changed = next(
        e.event for e in result.events if isinstance(e.event, MessageModerationStatusChanged)
    )
    assert changed.premoderation_status == PreModerationStatus.APPROVED
    assert changed.reason == "fine"
    theirs = await side(bob, conversation)
    assert theirs is not None
    assert not theirs.hidden
    assert theirs.unread_count == 1
    assert theirs.last_message is not None
    assert theirs.last_message.text == "hello?"
    assert (await store.get_chat_state(bob.id)).total_unread == 1
    assert await history_ids(store, bob, conversation) == [held.id]


async def test_rejecting_a_held_message_tells_only_the_sender(
    store: Store, make_user, send, side
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    held = (await send(alice, bob, "spam", premoderate_first=True)).result.message

    result = await store.set_premoderation_status(
        message_id=held.id, status=PreModerationStatus.REJECTED, reason="spam"
    )

    assert kinds(result.events, alice) == ["MessageModerationStatusChanged", "ConversationChanged"]
    assert kinds(result.events, bob) == []
    theirs = await side(bob, held.conversation_id)
    assert theirs is not None
    assert theirs.hidden
    assert theirs.last_message is None
    assert await history_ids(store, bob, held.conversation_id) == []
    unchanged = await store.set_premoderation_status(
        message_id=held.id, status=PreModerationStatus.REJECTED, reason="spam"
    )
    assert unchanged.events == []


@pytest.mark.parametrize("status", [ModerationStatus.HIDDEN, ModerationStatus.IN_REVIEW])
async def test_moderation_can_hide_a_message_from_the_receiver(
    store: Store, make_user, send, side, status: ModerationStatus
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    first = (await send(alice, bob, "fine")).result.message
    bad = (await send(alice, bob, "bad")).result.message

    result = await store.set_moderation_status(message_id=bad.id, status=status, reason="review")

    assert kinds(result.events, alice) == ["MessageModerationStatusChanged", "ConversationChanged"]
    assert kinds(result.events, bob) == ["MessageModerationStatusChanged", "ConversationChanged"]
    assert await history_ids(store, bob, bad.conversation_id) == [first.id]
    assert await history_ids(store, alice, bad.conversation_id) == [bad.id, first.id]
    theirs = await side(bob, bad.conversation_id)
    assert theirs is not None
    assert theirs.unread_count == 1
    assert theirs.last_message is not None
    assert theirs.last_message.id == first.id

    restored = await store.set_moderation_status(
        message_id=bad.id, status=ModerationStatus.APPROVED, reason="ok after all"
    )

    assert "MessageReceived" in kinds(restored.events, bob)
    theirs = await side(bob, bad.conversation_id)
    assert theirs is not None
    assert theirs.unread_count == 2


async def test_removed_message_travels_without_text(store: Store, make_user, send, side) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    bad = (await send(alice, bob, "very bad words")).result.message

    await store.set_moderation_status(
        message_id=bad.id, status=ModerationStatus.REMOVED, reason="abuse"
    )

    page = await store.get_history_page(
        user_id=bob.id, conversation_id=bad.conversation_id, before_message_id=None, limit=5
    )
    assert [(m.id, m.text, m.moderation_status) for m in page.messages] == [
        (bad.id, "", ModerationStatus.REMOVED)
    ]
    theirs = await side(bob, bad.conversation_id)
    assert theirs is not None
    assert theirs.last_message is not None
    assert theirs.last_message.text == ""
    raw = await store.get_message(bad.id)
    assert raw is not None
    assert raw.text == "very bad words"


async def test_moderating_an_unknown_message_is_not_found(store: Store, make_user) -> None:
    await make_user("alice")
    with pytest.raises(ParleyError) as refused:
        await store.set_moderation_status(
            message_id=987_654_321, status=ModerationStatus.APPROVED, reason=""
        )
    assert refused.value.code == ErrorCode.NOT_FOUND
    with pytest.raises(ParleyError) as refused:
        await store.set_premoderation_status(
            message_id=987_654_321, status=PreModerationStatus.APPROVED, reason=""
        )
    assert refused.value.code == ErrorCode.NOT_FOUND
