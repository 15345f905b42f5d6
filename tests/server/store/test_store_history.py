"""History pages across the hot and cold tables, and the archive maintenance job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from parley.server.store.interface import Store
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.models import Message, ModerationStatus, User

# Archive tests send "in the year 2000", so that on a database shared by many test runs
# (SQL Server) their messages are the oldest hot ones and the batches move exactly them.
ARCHIVE_ERA = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture
def send_decided(store: Store, send):
    """Send a message the moderation pipeline has approved: only decided messages are
    archived (the undecided ones are the worker's queue, see test_store_moderation)."""

    async def send_one(sender: User, receiver: User, text: str = "hello") -> Message:
        sent = (await send(sender, receiver, text)).result.message
        await store.set_moderation_status(
            message_id=sent.id, status=ModerationStatus.APPROVED, reason=""
        )
        decided = await store.get_message(sent.id)
        assert decided is not None
        return decided

    return send_one


async def test_history_pages_newest_first_before_an_id(store: Store, make_user, send) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    ids = [(await send(alice, bob, f"m{i}")).result.message.id for i in range(7)]
    conversation = (await store.get_message(ids[0])).conversation_id

    first = await store.get_history_page(
        user_id=bob.id, conversation_id=conversation, before_message_id=None, limit=3
    )
    second = await store.get_history_page(
        user_id=bob.id,
        conversation_id=conversation,
        before_message_id=first.messages[-1].id,
        limit=3,
    )
    third = await store.get_history_page(
        user_id=bob.id,
        conversation_id=conversation,
        before_message_id=second.messages[-1].id,
        limit=3,
    )

    assert [m.id for m in first.messages] == ids[:3:-1][:3]
    assert [m.id for m in second.messages] == [ids[3], ids[2], ids[1]]
    assert [m.id for m in third.messages] == [ids[0]]
    assert (first.has_more, second.has_more, third.has_more) == (True, True, False)
    assert [m.text for m in first.messages] == ["m6", "m5", "m4"]


async def test_history_needs_a_positive_page_size(store: Store, make_user, send) -> None:
    alice, bob = await make_user("alice"), await make_user("bob")
    conversation = (await send(alice, bob)).result.message.conversation_id
    with pytest.raises(ParleyError) as refused:
        await store.get_history_page(
            user_id=bob.id, conversation_id=conversation, before_message_id=None, limit=0
        )
    assert refused.value.code == ErrorCode.INVALID_FIELD


async def test_archive_moves_old_messages_in_bounded_batches(
    store: Store, make_user, send_decided, clock
) -> None:
    clock.now = ARCHIVE_ERA - timedelta(days=365)  # older than the other tests' leftovers
    alice, bob = await make_user("alice"), await make_user("bob")
    for _ in range(5):
        await send_decided(alice, bob)
    cutoff = clock.now - timedelta(seconds=1.5)  # the last two stay hot

    assert await store.archive_messages(older_than=cutoff, batch_size=2) == 2
    assert await store.archive_messages(older_than=cutoff, batch_size=2) == 1
    assert await store.archive_messages(older_than=cutoff, batch_size=2) == 0


async def test_history_spans_hot_and_cold(store: Store, make_user, send_decided, clock) -> None:
    clock.now = ARCHIVE_ERA
    alice, bob = await make_user("alice"), await make_user("bob")
    sent = [await send_decided(alice, bob, f"m{i}") for i in range(6)]
    conversation = sent[0].conversation_id
    await store.archive_messages(older_than=sent[3].sent_at, batch_size=100)
    later = await send_decided(bob, alice, "after the archive")

    pages = []
    before = None
    while True:
        page = await store.get_history_page(
            user_id=alice.id, conversation_id=conversation, before_message_id=before, limit=2
        )
        pages.append([m.id for m in page.messages])
        if not page.has_more:
            break
        before = page.messages[-1].id

    everything = [later.id] + [m.id for m in reversed(sent)]
    assert [i for page in pages for i in page] == everything
    assert all(len(page) == 2 for page in pages[:-1])
    archived = await store.get_message(sent[0].id)
    assert archived == sent[0]  # the cold copy keeps id and content


async def test_archived_messages_can_still_be_read_deleted_and_moderated(
    store: Store, make_user, send_decided, side, clock
) -> None:
    clock.now = ARCHIVE_ERA
    alice, bob = await make_user("alice"), await make_user("bob")
    old = await send_decided(alice, bob, "old")
    await send_decided(alice, bob, "new")
    assert (
        await store.archive_messages(older_than=old.sent_at + timedelta(seconds=0.5), batch_size=10)
        == 1
    )

    await store.mark_conversation_read(
        user_id=bob.id, conversation_id=old.conversation_id, up_to_message_id=old.id
    )
    await store.flag_message(user_id=bob.id, message_id=old.id, reason="rude")
    await store.delete_message(user_id=alice.id, message_id=old.id, for_everyone=True)

    stored = await store.get_message(old.id)
    assert stored is not None
    assert stored.deleted
    assert not stored.unread
    theirs = await side(bob, old.conversation_id)
    assert theirs is not None
    assert theirs.unread_count == 1


async def test_message_ids_stay_unique_after_archiving(
    store: Store, make_user, send_decided, clock
) -> None:
    clock.now = ARCHIVE_ERA
    alice, bob = await make_user("alice"), await make_user("bob")
    last = await send_decided(alice, bob)
    await store.archive_messages(older_than=ARCHIVE_ERA + timedelta(days=1), batch_size=100)

    after = await send_decided(alice, bob)

    assert after.id > last.id


async def test_last_message_preview_survives_archiving(
    store: Store, make_user, send_decided, clock, side
) -> None:
    clock.now = ARCHIVE_ERA
    alice, bob = await make_user("alice"), await make_user("bob")
    only = await send_decided(alice, bob, "archived preview")
    await store.archive_messages(older_than=ARCHIVE_ERA + timedelta(days=1), batch_size=100)

    theirs = await side(bob, only.conversation_id)

    assert theirs is not None
    assert theirs.last_message is not None
    assert theirs.last_message.text == "archived preview"
