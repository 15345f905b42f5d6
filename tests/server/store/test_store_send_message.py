"""SendMessage: the seed procedure's semantics, refusals, idempotency and its events."""

from __future__ import annotations

import pytest

from parley.server.store.interface import Store
from parley.shared.conversations import conversation_id
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.events import ConversationChanged, MessageReceived, MessageSent, UserEvent
from parley.shared.models import PreModerationStatus, User


def kinds(events: list[UserEvent], user: User) -> list[str]:
    return [type(e.event).__name__ for e in events if e.user_id == user.id]


async def test_first_message_creates_both_sides_with_the_seed_flags(
    store: Store, make_user, send, side, clock
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")

    outcome = await send(alice, bob, "hi bob")

    message = outcome.result.message
    assert outcome.result.is_first
    assert not outcome.result.duplicate
    assert message.conversation_id == conversation_id(alice.id, bob.id)
    assert message.premoderation_status == PreModerationStatus.UNSPECIFIED
    assert (message.sender_id, message.receiver_id, message.text) == (alice.id, bob.id, "hi bob")
    assert message.sent_at == clock.now
    mine, theirs = (
        await side(alice, message.conversation_id),
        await side(bob, message.conversation_id),
    )
    assert mine is not None
    assert theirs is not None
    assert (mine.initiated_by_user, mine.unread_count, mine.hidden, mine.archived) == (
        True,
        0,
        False,
        False,
    )
    assert (theirs.initiated_by_user, theirs.unread_count, theirs.hidden) == (False, 1, False)
    assert mine.other_user.id == bob.id
    assert theirs.other_user.id == alice.id
    assert mine.last_message is not None
    assert mine.last_message.id == message.id
    assert theirs.last_message is not None
    assert theirs.last_message.text == "hi bob"


async def test_conversation_id_is_the_same_in_both_directions(
    store: Store, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")

    first = await send(alice, bob)
    reply = await send(bob, alice)

    assert first.result.message.conversation_id == reply.result.message.conversation_id
    assert first.result.is_first
    assert not reply.result.is_first


async def test_send_emits_sent_received_and_changed_events(store: Store, make_user, send) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")

    outcome = await send(alice, bob)

    assert kinds(outcome.events, alice) == ["MessageSent", "ConversationChanged"]
    assert kinds(outcome.events, bob) == ["MessageReceived", "ConversationChanged"]
    sent = next(e.event for e in outcome.events if isinstance(e.event, MessageSent))
    received = next(e.event for e in outcome.events if isinstance(e.event, MessageReceived))
    assert sent.message == outcome.result.message == received.message
    changed = [e.event for e in outcome.events if isinstance(e.event, ConversationChanged)]
    assert {c.conversation_id for c in changed} == {outcome.result.message.conversation_id}


async def test_send_is_idempotent_on_client_message_id(store: Store, make_user, send, side) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")

    first = await send(alice, bob, "once", client_message_id="retry-me")
    again = await send(alice, bob, "once", client_message_id="retry-me")

    assert again.result.duplicate
    assert again.events == []
    assert again.result.message == first.result.message
    assert again.result.is_first == first.result.is_first
    history = await store.get_history_page(
        user_id=bob.id,
        conversation_id=first.result.message.conversation_id,
        before_message_id=None,
        limit=10,
    )
    assert [m.id for m in history.messages] == [first.result.message.id]
    theirs = await side(bob, first.result.message.conversation_id)
    assert theirs is not None
    assert theirs.unread_count == 1


async def test_client_message_ids_are_scoped_per_sender(store: Store, make_user, send) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")

    one = await send(alice, bob, client_message_id="same")
    two = await send(bob, alice, client_message_id="same")

    assert not two.result.duplicate
    assert one.result.message.id != two.result.message.id


async def test_first_message_held_for_premoderation_is_hidden_from_receiver(
    store: Store, make_user, send, side
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")

    outcome = await send(alice, bob, "held", premoderate_first=True)

    message = outcome.result.message
    assert message.premoderation_status == PreModerationStatus.PENDING
    assert kinds(outcome.events, bob) == ["ConversationChanged"]
    theirs = await side(bob, message.conversation_id)
    assert theirs is not None
    assert theirs.hidden
    assert theirs.last_message is None
    assert theirs.unread_count == 0
    assert (await store.get_chat_state(bob.id)).total_unread == 0
    page = await store.get_history_page(
        user_id=bob.id, conversation_id=message.conversation_id, before_message_id=None, limit=5
    )
    assert page.messages == []
    mine = await side(alice, message.conversation_id)
    assert mine is not None
    assert not mine.hidden
    assert mine.last_message is not None
    assert mine.last_message.text == "held"


async def test_only_the_first_message_is_premoderated(store: Store, make_user, send) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await send(alice, bob, premoderate_first=False)

    later = await send(alice, bob, premoderate_first=True)

    assert later.result.message.premoderation_status == PreModerationStatus.UNSPECIFIED


async def test_visible_message_after_a_held_one_unhides_the_receiver_side(
    store: Store, make_user, send, side
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    held = await send(alice, bob, "held", premoderate_first=True)

    follow_up = await send(alice, bob, "visible", premoderate_first=True)

    conversation = held.result.message.conversation_id
    theirs = await side(bob, conversation)
    assert theirs is not None
    assert not theirs.hidden
    assert theirs.unread_count == 1
    assert theirs.last_message is not None
    assert theirs.last_message.id == follow_up.result.message.id


async def test_new_outgoing_message_unarchives_sender_side(
    store: Store, make_user, send, side
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    conversation = (await send(alice, bob)).result.message.conversation_id
    await store.set_conversation_archived(
        user_id=alice.id, conversation_id=conversation, archived=True
    )

    await send(alice, bob)

    mine = await side(alice, conversation)
    assert mine is not None
    assert not mine.archived


async def test_new_incoming_message_unarchives_receiver_side(
    store: Store, make_user, send, side
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    conversation = (await send(alice, bob)).result.message.conversation_id
    await store.set_conversation_archived(
        user_id=bob.id, conversation_id=conversation, archived=True
    )
    assert (await side(bob, conversation)).archived

    await send(alice, bob)

    theirs = await side(bob, conversation)
    assert theirs is not None
    assert not theirs.archived
    assert theirs.unread_count == 2


async def test_sending_blocked_user_cannot_send(store: Store, make_user, send) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await store.set_sending_blocked(user_id=alice.id, blocked=True, reason="spam")

    with pytest.raises(ParleyError) as refused:
        await send(alice, bob)

    assert refused.value.code == ErrorCode.SENDING_BLOCKED
    assert (await store.get_chat_state(bob.id)).conversations == []


async def test_user_blocked_by_receiver_cannot_send(store: Store, make_user, send) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await send(alice, bob)
    await store.set_user_blocked(user_id=bob.id, blocked_user_id=alice.id, blocked=True)

    with pytest.raises(ParleyError) as refused:
        await send(alice, bob)

    assert refused.value.code == ErrorCode.BLOCKED_BY_RECEIVER
    await send(bob, alice)  # the one who blocked may still write


async def test_unblocked_user_can_send_again(store: Store, make_user, send) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await store.set_user_blocked(user_id=bob.id, blocked_user_id=alice.id, blocked=True)
    await store.set_user_blocked(user_id=bob.id, blocked_user_id=alice.id, blocked=False)

    outcome = await send(alice, bob)

    assert outcome.result.message.receiver_id == bob.id


async def test_send_to_unknown_user_is_not_found(store: Store, make_user, clock) -> None:
    alice = await make_user("alice")

    with pytest.raises(ParleyError) as refused:
        await store.send_message(
            sender_id=alice.id,
            receiver_id=alice.id + 1_000_000,
            text="anyone?",
            sent_at=clock.tick(),
            premoderate_first=False,
            client_message_id="x",
        )

    assert refused.value.code == ErrorCode.NOT_FOUND


async def test_send_to_self_is_refused(store: Store, make_user, send) -> None:
    alice = await make_user("alice")

    with pytest.raises(ParleyError) as refused:
        await send(alice, alice)

    assert refused.value.code == ErrorCode.SEND_TO_SELF


async def test_refused_send_writes_nothing_and_frees_its_client_id(
    store: Store, make_user, send
) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    await store.set_sending_blocked(user_id=alice.id, blocked=True, reason="cool down")
    before = (await store.get_events_since(alice.id, 0, limit=100)).last_seq
    with pytest.raises(ParleyError):
        await send(alice, bob, client_message_id="later")
    assert (await store.get_events_since(alice.id, 0, limit=100)).last_seq == before

    await store.set_sending_blocked(user_id=alice.id, blocked=False, reason="")
    outcome = await send(alice, bob, client_message_id="later")

    assert not outcome.result.duplicate
    assert outcome.result.is_first


async def test_message_type_and_payload_are_stored(store: Store, make_user, clock) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")

    outcome = await store.send_message(
        sender_id=alice.id,
        receiver_id=bob.id,
        text="see attachment",
        sent_at=clock.tick(),
        premoderate_first=False,
        client_message_id="typed",
        message_type=3,
        payload='{"kind": "image", "url": "https://example.org/a.png"}',
    )

    stored = await store.get_message(outcome.result.message.id)
    assert stored == outcome.result.message
    assert stored is not None
    assert stored.message_type == 3
    assert stored.payload == '{"kind": "image", "url": "https://example.org/a.png"}'
    assert stored.client_message_id == "typed"
