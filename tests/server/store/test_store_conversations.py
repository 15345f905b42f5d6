"""Conversation sides: mark read, pin, archive, hide, block, the chat state and refusals."""

from __future__ import annotations

import pytest

from parley.server.store.interface import Store
from parley.shared.conversations import conversation_id
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.events import ConversationChanged, SendingBlockedForUser, UserEvent
from parley.shared.models import User


def kinds(events: list[UserEvent], user: User) -> list[str]:
    return [type(e.event).__name__ for e in events if e.user_id == user.id]


async def test_mark_read_clears_unread_and_tells_the_reader(
    store: Store, make_user, send, side
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    for _ in range(3):
        conversation = (await send(alice, bob)).result.message.conversation_id

    result = await store.mark_conversation_read(
        user_id=bob.id, conversation_id=conversation, up_to_message_id=None
    )

    assert kinds(result.events, bob) == ["ConversationChanged"]
    assert kinds(result.events, alice) == []
    theirs = await side(bob, conversation)
    assert theirs is not None
    assert theirs.unread_count == 0
    page = await store.get_history_page(
        user_id=bob.id, conversation_id=conversation, before_message_id=None, limit=10
    )
    assert [m.unread for m in page.messages] == [False, False, False]


async def test_mark_read_up_to_a_message_leaves_later_ones_unread(
    store: Store, make_user, send, side
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    ids = [(await send(alice, bob)).result.message.id for _ in range(4)]
    conversation = conversation_id(alice.id, bob.id)

    await store.mark_conversation_read(
        user_id=bob.id, conversation_id=conversation, up_to_message_id=ids[1]
    )

    theirs = await side(bob, conversation)
    assert theirs is not None
    assert theirs.unread_count == 2
    page = await store.get_history_page(
        user_id=bob.id, conversation_id=conversation, before_message_id=None, limit=10
    )
    assert {m.id: m.unread for m in page.messages} == {
        ids[3]: True,
        ids[2]: True,
        ids[1]: False,
        ids[0]: False,
    }


async def test_mark_read_of_a_read_conversation_changes_nothing(
    store: Store, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    conversation = (await send(alice, bob)).result.message.conversation_id
    await store.mark_conversation_read(
        user_id=bob.id, conversation_id=conversation, up_to_message_id=None
    )

    again = await store.mark_conversation_read(
        user_id=bob.id, conversation_id=conversation, up_to_message_id=None
    )

    assert again.events == []


async def test_senders_own_messages_are_never_unread_for_them(
    store: Store, make_user, send, side
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    conversation = (await send(alice, bob)).result.message.conversation_id

    result = await store.mark_conversation_read(
        user_id=alice.id, conversation_id=conversation, up_to_message_id=None
    )

    assert result.events == []
    theirs = await side(bob, conversation)
    assert theirs is not None
    assert theirs.unread_count == 1


@pytest.mark.parametrize(
    ("operation", "attribute"),
    [
        ("set_conversation_pinned", "pinned"),
        ("set_conversation_archived", "archived"),
        ("set_conversation_hidden", "hidden"),
    ],
)
async def test_side_flags_change_only_that_users_side(
    store: Store, make_user, send, side, operation: str, attribute: str
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    conversation = (await send(alice, bob)).result.message.conversation_id
    change = getattr(store, operation)

    on = await change(user_id=bob.id, conversation_id=conversation, **{attribute: True})

    assert kinds(on.events, bob) == ["ConversationChanged"]
    assert kinds(on.events, alice) == []
    assert getattr(await side(bob, conversation), attribute) is True
    assert getattr(await side(alice, conversation), attribute) is False
    unchanged = await change(user_id=bob.id, conversation_id=conversation, **{attribute: True})
    assert unchanged.events == []
    off = await change(user_id=bob.id, conversation_id=conversation, **{attribute: False})
    assert kinds(off.events, bob) == ["ConversationChanged"]
    assert getattr(await side(bob, conversation), attribute) is False


async def test_chat_state_orders_pinned_first_then_latest_message(
    store: Store, make_user, send
) -> None:
    me = await make_user("me")
    old, middle, new = await make_user("old"), await make_user("middle"), await make_user("new")
    for other in (old, middle, new):
        await send(other, me)
    await store.set_conversation_pinned(
        user_id=me.id, conversation_id=conversation_id(me.id, old.id), pinned=True
    )

    state = await store.get_chat_state(me.id)

    assert [c.other_user.id for c in state.conversations] == [old.id, new.id, middle.id]
    assert state.conversations[0].pinned


async def test_total_unread_leaves_out_hidden_conversations(store: Store, make_user, send) -> None:
    me, a, b = await make_user("me"), await make_user("a"), await make_user("b")
    await send(a, me)
    await send(a, me)
    await send(b, me)

    await store.set_conversation_hidden(
        user_id=me.id, conversation_id=conversation_id(me.id, a.id), hidden=True
    )

    state = await store.get_chat_state(me.id)
    assert state.total_unread == 1
    assert sum(c.unread_count for c in state.conversations) == 3


async def test_chat_state_version_is_the_users_last_event_seq(
    store: Store, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    assert (await store.get_chat_state(bob.id)).version == 0

    outcome = await send(alice, bob)

    last_for_bob = max(e.seq for e in outcome.events if e.user_id == bob.id)
    assert (await store.get_chat_state(bob.id)).version == last_for_bob
    page = await store.get_events_since(bob.id, 0, limit=100)
    assert page.last_seq == last_for_bob


async def test_get_conversations_reads_the_named_sides_at_the_current_version(
    store: Store, make_user, send
) -> None:
    me, a, b = await make_user("me"), await make_user("a"), await make_user("b")
    await send(a, me)
    await send(b, me)
    wanted = conversation_id(me.id, b.id)

    piece = await store.get_conversations(me.id, [wanted, "999998-999999", "not-an-id"])

    assert [c.conversation_id for c in piece.conversations] == [wanted]
    assert piece.total_unread == 2
    assert piece.version == (await store.get_chat_state(me.id)).version
    assert (await store.get_conversations(me.id, [])).conversations == []


async def test_block_marks_the_side_and_tells_only_the_blocker(
    store: Store, make_user, send, side
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    conversation = (await send(alice, bob)).result.message.conversation_id

    result = await store.set_user_blocked(user_id=bob.id, blocked_user_id=alice.id, blocked=True)

    assert kinds(result.events, bob) == ["ConversationChanged"]
    assert kinds(result.events, alice) == []
    assert (await side(bob, conversation)).blocked
    assert not (await side(alice, conversation)).blocked
    again = await store.set_user_blocked(user_id=bob.id, blocked_user_id=alice.id, blocked=True)
    assert again.events == []
    await store.set_user_blocked(user_id=bob.id, blocked_user_id=alice.id, blocked=False)
    assert not (await side(bob, conversation)).blocked


async def test_block_without_a_conversation_raises_no_event(store: Store, make_user) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")

    result = await store.set_user_blocked(user_id=bob.id, blocked_user_id=alice.id, blocked=True)

    assert result.events == []


async def test_blocking_yourself_or_nobody_is_refused(store: Store, make_user) -> None:
    alice = await make_user("alice")

    with pytest.raises(ParleyError) as self_block:
        await store.set_user_blocked(user_id=alice.id, blocked_user_id=alice.id, blocked=True)
    with pytest.raises(ParleyError) as ghost:
        await store.set_user_blocked(
            user_id=alice.id, blocked_user_id=alice.id + 1_000_000, blocked=True
        )

    assert self_block.value.code == ErrorCode.FORBIDDEN
    assert ghost.value.code == ErrorCode.NOT_FOUND


async def test_sending_blocked_is_announced_to_that_user(store: Store, make_user) -> None:
    alice = await make_user("alice")

    result = await store.set_sending_blocked(user_id=alice.id, blocked=True, reason="spam")

    assert [e.event for e in result.events] == [SendingBlockedForUser(blocked=True, reason="spam")]
    assert {e.user_id for e in result.events} == {alice.id}
    assert (await store.get_chat_state(alice.id)).sending_blocked
    credentials = await store.get_credentials(alice.username)
    assert credentials is not None
    assert credentials.sending_blocked
    same = await store.set_sending_blocked(user_id=alice.id, blocked=True, reason="spam")
    assert same.events == []
    lifted = await store.set_sending_blocked(user_id=alice.id, blocked=False, reason="")
    assert [e.event for e in lifted.events] == [SendingBlockedForUser(blocked=False, reason="")]
    assert not (await store.get_chat_state(alice.id)).sending_blocked


async def test_sending_block_of_unknown_user_is_not_found(store: Store, make_user) -> None:
    alice = await make_user("alice")
    with pytest.raises(ParleyError) as refused:
        await store.set_sending_blocked(user_id=alice.id + 1_000_000, blocked=True, reason="x")
    assert refused.value.code == ErrorCode.NOT_FOUND


@pytest.mark.parametrize(
    "operation",
    [
        "mark_conversation_read",
        "set_conversation_pinned",
        "set_conversation_archived",
        "set_conversation_hidden",
        "get_history_page",
    ],
)
async def test_stranger_cannot_touch_a_conversation(
    store: Store, make_user, send, operation: str
) -> None:
    alice, bob, eve = await make_user("alice"), await make_user("bob"), await make_user("eve")
    conversation = (await send(alice, bob)).result.message.conversation_id
    arguments: dict[str, object] = {
        "mark_conversation_read": {"up_to_message_id": None},
        "set_conversation_pinned": {"pinned": True},
        "set_conversation_archived": {"archived": True},
        "set_conversation_hidden": {"hidden": True},
        "get_history_page": {"before_message_id": None, "limit": 10},
    }[operation]

    for target in (conversation, "garbage", f"{bob.id}-{alice.id}", f"{eve.id}-{eve.id}"):
        with pytest.raises(ParleyError) as refused:
            await getattr(store, operation)(user_id=eve.id, conversation_id=target, **arguments)
        assert refused.value.code == ErrorCode.NOT_FOUND
    assert (await store.get_events_since(alice.id, 0, limit=100)).last_seq == 2


async def test_stranger_cannot_read_conversation(store: Store, make_user, send) -> None:
    alice, bob, eve = await make_user("alice"), await make_user("bob"), await make_user("eve")
    conversation = (await send(alice, bob, "secret")).result.message.conversation_id

    with pytest.raises(ParleyError) as refused:
        await store.get_history_page(
            user_id=eve.id, conversation_id=conversation, before_message_id=None, limit=10
        )

    assert refused.value.code == ErrorCode.NOT_FOUND
    assert "secret" not in refused.value.message
    assert (await store.get_conversations(eve.id, [conversation])).conversations == []


async def test_participant_without_a_side_gets_not_found_for_side_operations(
    store: Store, make_user
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    conversation = conversation_id(alice.id, bob.id)

    with pytest.raises(ParleyError) as refused:
        await store.set_conversation_pinned(
            user_id=alice.id, conversation_id=conversation, pinned=True
        )

    assert refused.value.code == ErrorCode.NOT_FOUND
    page = await store.get_history_page(
        user_id=alice.id, conversation_id=conversation, before_message_id=None, limit=10
    )
    assert page.messages == []
    assert not page.has_more


async def test_chat_state_of_unknown_user_is_not_found(store: Store, make_user) -> None:
    alice = await make_user("alice")
    with pytest.raises(ParleyError) as refused:
        await store.get_chat_state(alice.id + 1_000_000)
    assert refused.value.code == ErrorCode.NOT_FOUND


async def test_conversation_changed_names_the_conversation(store: Store, make_user, send) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    conversation = (await send(alice, bob)).result.message.conversation_id

    result = await store.set_conversation_pinned(
        user_id=alice.id, conversation_id=conversation, pinned=True
    )

    assert [e.event for e in result.events] == [ConversationChanged(conversation_id=conversation)]
