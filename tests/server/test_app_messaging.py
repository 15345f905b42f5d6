"""Every operation over real websockets: acks, events, chat-state deltas, multi-device."""

from __future__ import annotations

import pytest

from parley.shared import protocol as p
from parley.shared.errors import ErrorCode
from parley.shared.events import (
    MessageDeleted,
    MessageModerationStatusChanged,
    MessageReceived,
    MessageSent,
    SendingBlockedForUser,
)
from parley.shared.models import ModerationStatus, PreModerationStatus


async def fresh_state(connect, client):
    """The state a new, unsubscribed connection of the same user reads now."""
    reader = await connect()
    await reader.ok("authenticate", token=client.token)
    return (await reader.ok("get_chat_state")).state


async def test_send_is_acked_after_commit_and_reaches_the_receiver(sign_up) -> None:
    alice = await sign_up(subscribe=True)
    bob = await sign_up(subscribe=True)
    sent = await alice.ok("send", client_message_id="m1", to=bob.user.id, text="hello bob")
    assert isinstance(sent, p.Sent)
    assert sent.first
    assert not sent.duplicate
    assert (sent.message.text, sent.message.client_message_id) == ("hello bob", "m1")
    received = await bob.event(MessageReceived)
    assert received.event.message == sent.message
    mine = await alice.event(MessageSent)
    assert mine.event.message.id == sent.message.id
    assert received.seq >= 1
    state = await bob.track(received.seq)
    [conversation] = state.conversations
    assert conversation.unread_count == 1
    assert conversation.other_user.id == alice.user.id
    assert conversation.last_message.text == "hello bob"
    assert state.total_unread == 1


async def test_a_retried_send_is_not_duplicated(sign_up) -> None:
    alice = await sign_up(subscribe=True)
    bob = await sign_up(subscribe=True)
    first = await alice.ok("send", client_message_id="same", to=bob.user.id, text="once")
    again = await alice.ok("send", client_message_id="same", to=bob.user.id, text="once")
    assert again.duplicate
    assert again.message.id == first.message.id
    await bob.event(MessageReceived)
    await bob.nothing_more(p.EventFrame)
    page = await bob.ok("history", conversation_id=first.message.conversation_id)
    assert [m.id for m in page.messages] == [first.message.id]
    assert not (await alice.ok("send", client_message_id="next", to=bob.user.id, text="2")).first


async def test_every_device_of_both_users_gets_the_stream(sign_up, device) -> None:
    alice = await sign_up(subscribe=True)
    bob = await sign_up(subscribe=True)
    alice_laptop = await device(alice)
    bob_laptop = await device(bob)
    sent = await alice.ok("send", client_message_id="m", to=bob.user.id, text="to all")
    for client in (bob, bob_laptop):
        frame = await client.event(MessageReceived)
        assert frame.event.message.id == sent.message.id
        assert (await client.track(frame.seq)).total_unread == 1
    for client in (alice, alice_laptop):
        assert (await client.event(MessageSent)).event.message.id == sent.message.id


async def test_snapshot_plus_deltas_equals_a_fresh_snapshot(connect, sign_up) -> None:
    """Zulip's verify_action, end to end, over every conversation operation."""
    alice = await sign_up(subscribe=True)
    bob = await sign_up(subscribe=True)
    carol = await sign_up(subscribe=True)
    ab = f"{alice.user.id}-{bob.user.id}"
    bc = f"{bob.user.id}-{carol.user.id}"

    async def check() -> None:
        for client in (alice, bob, carol):
            fresh = await fresh_state(connect, client)
            assert await client.track(fresh.version) == fresh

    m1 = await alice.ok("send", client_message_id="1", to=bob.user.id, text="one")
    await carol.ok("send", client_message_id="2", to=bob.user.id, text="two")
    await check()
    await bob.ok("mark_read", conversation_id=ab)
    await bob.ok("set_pinned", conversation_id=bc, pinned=True)
    await check()
    await bob.ok("set_archived", conversation_id=ab, archived=True)
    await alice.ok("set_archived", conversation_id=ab, archived=True)
    await check()
    await alice.ok("send", client_message_id="3", to=bob.user.id, text="three")
    await check()
    assert not [c for c in bob.state.conversations if c.archived]  # incoming unarchives
    assert not [c for c in alice.state.conversations if c.archived]  # outgoing too
    await bob.ok("set_hidden", conversation_id=bc, hidden=True)
    await alice.ok("delete_message", message_id=m1.message.id, for_everyone=True)
    await check()
    await bob.ok("block_user", user_id=carol.user.id)
    await bob.ok("set_pinned", conversation_id=bc, pinned=False)
    await check()
    assert bob.state.conversations[0].conversation_id == ab


async def test_mark_read_resets_unread_up_to_a_message(sign_up) -> None:
    alice = await sign_up()
    bob = await sign_up(subscribe=True)
    ids = [
        (await alice.ok("send", client_message_id=f"m{i}", to=bob.user.id, text=f"{i}")).message.id
        for i in range(3)
    ]
    conversation = f"{alice.user.id}-{bob.user.id}"
    await bob.ok("mark_read", conversation_id=conversation, up_to=ids[1])
    fresh = await bob.ok("get_chat_state")
    assert fresh.state.conversations[0].unread_count == 1
    await bob.ok("mark_read", conversation_id=conversation)
    assert (await bob.ok("get_chat_state")).state.total_unread == 0


async def test_pin_archive_and_hide_show_in_the_senders_state(sign_up) -> None:
    alice = await sign_up(subscribe=True)
    bob = await sign_up()
    sent = await alice.ok("send", client_message_id="m", to=bob.user.id, text="x")
    conversation = sent.message.conversation_id
    for kind, flag in [
        ("set_pinned", "pinned"),
        ("set_archived", "archived"),
        ("set_hidden", "hidden"),
    ]:
        await alice.ok(kind, conversation_id=conversation, **{flag: True})
        state = (await alice.ok("get_chat_state")).state
        assert getattr(state.conversations[0], flag) is True
        await alice.ok(kind, conversation_id=conversation, **{flag: False})
        state = (await alice.ok("get_chat_state")).state
        assert getattr(state.conversations[0], flag) is False


async def test_delete_for_me_and_for_everyone(sign_up) -> None:
    alice = await sign_up(subscribe=True)
    bob = await sign_up(subscribe=True)
    keep = await alice.ok("send", client_message_id="a", to=bob.user.id, text="keep")
    gone = await alice.ok("send", client_message_id="b", to=bob.user.id, text="oops")
    conversation = gone.message.conversation_id
    await bob.ok("delete_message", message_id=keep.message.id, for_everyone=False)
    mine = await bob.event(MessageDeleted, message_id=keep.message.id)
    assert not mine.event.for_everyone
    await alice.ok("delete_message", message_id=gone.message.id, for_everyone=True)
    for client in (alice, bob):
        frame = await client.event(MessageDeleted, message_id=gone.message.id)
        assert frame.event.for_everyone
    bob_page = await bob.ok("history", conversation_id=conversation)
    assert [(m.id, m.text, m.deleted) for m in bob_page.messages] == [(gone.message.id, "", True)]
    alice_page = await alice.ok("history", conversation_id=conversation)
    assert [m.text for m in alice_page.messages] == ["", "keep"]


async def test_a_blocked_sender_is_refused_until_unblocked(sign_up) -> None:
    alice = await sign_up()
    bob = await sign_up()
    await alice.ok("send", client_message_id="1", to=bob.user.id, text="hi")
    await bob.ok("block_user", user_id=alice.user.id)
    refused = await alice.request("send", client_message_id="2", to=bob.user.id, text="hi?")
    assert refused.code is ErrorCode.BLOCKED_BY_RECEIVER
    state = (await bob.ok("get_chat_state")).state
    assert state.conversations[0].blocked
    await bob.ok("block_user", user_id=alice.user.id, blocked=False)
    await alice.ok("send", client_message_id="3", to=bob.user.id, text="thanks")
    assert (await bob.request("block_user", user_id=bob.user.id)).code is ErrorCode.INVALID_FIELD


async def test_flag_a_message_for_the_moderation_queue(sign_up) -> None:
    alice = await sign_up()
    bob = await sign_up()
    sent = await alice.ok("send", client_message_id="1", to=bob.user.id, text="rude")
    assert isinstance(
        await bob.ok("flag_message", message_id=sent.message.id, reason="insult"), p.Ok
    )
    assert (await bob.request("flag_message", message_id=sent.message.id, reason=" ")).code is (
        ErrorCode.INVALID_FIELD
    )


async def test_history_pages_backwards(sign_up) -> None:
    alice = await sign_up()
    bob = await sign_up()
    ids = [
        (await alice.ok("send", client_message_id=f"m{i}", to=bob.user.id, text=f"#{i}")).message.id
        for i in range(5)
    ]
    conversation = f"{alice.user.id}-{bob.user.id}"
    first = await bob.ok("history", conversation_id=conversation, limit=2)
    assert [m.id for m in first.messages] == ids[:2:-1][:2]
    assert first.has_more
    rest = await bob.ok(
        "history", conversation_id=conversation, before=first.messages[-1].id, limit=10
    )
    assert [m.id for m in rest.messages] == ids[2::-1]
    assert not rest.has_more


async def test_find_users_by_name_prefix(sign_up) -> None:
    alice = await sign_up("alice")
    await sign_up("albert")
    await sign_up("bob")
    found = await alice.ok("find_users", query="al")
    assert [u.username for u in found.users] == ["albert"]
    assert (await alice.ok("find_users", query="zz")).users == []


async def test_many_events_in_a_burst_yield_fewer_deltas_and_the_latest_state(
    launch, connect
) -> None:
    server = await launch(coalesce_ms=50, send_burst=100)
    url = f"ws://127.0.0.1:{server.port}"
    alice = await connect(url=url)
    await alice.ok("register", username="alice", password="tr0ub4dor&3-staple")
    bob = await connect(url=url)
    bob_id = (await bob.ok("register", username="bob", password="tr0ub4dor&3-staple")).user.id
    await bob.ok("subscribe")
    bob.state = (await bob.expect(p.ChatStateSnapshot)).state
    burst = 30
    for i in range(burst):
        await alice.send_frame("send", client_message_id=f"m{i}", to=bob_id, text=f"{i}")
    last = None
    for _ in range(burst):
        last = await bob.event(MessageReceived)
    state = await bob.track(last.seq)
    assert state.total_unread == burst
    deltas = [f for f in bob.inbox if isinstance(f, p.ChatStateDeltaFrame)]
    assert len(deltas) < burst / 3


async def test_premoderated_first_message_is_held_until_a_moderator_approves(
    launch, connect
) -> None:
    from parley.shared.models import Role

    server = await launch(premoderate_first=True)
    url = f"ws://127.0.0.1:{server.port}"
    await server.services.accounts.create_user(
        username="mod", password="tr0ub4dor&3-staple", display_name="Mod", role=Role.MODERATOR
    )
    mod = await connect(url=url)
    await mod.ok("login", username="mod", password="tr0ub4dor&3-staple")
    alice = await connect(url=url)
    await alice.ok("register", username="alice", password="tr0ub4dor&3-staple")
    bob = await connect(url=url)
    bob_id = (await bob.ok("register", username="bob", password="tr0ub4dor&3-staple")).user.id
    await bob.ok("subscribe")
    await bob.expect(p.ChatStateSnapshot)
    held = await alice.ok("send", client_message_id="1", to=bob_id, text="first!")
    assert held.message.premoderation_status is PreModerationStatus.PENDING
    await bob.nothing_more(p.EventFrame)
    page = await bob.ok("history", conversation_id=held.message.conversation_id)
    assert page.messages == []
    await mod.ok("set_premoderation", message_id=held.message.id, approved=True)
    released = await bob.event(MessageReceived)
    assert released.event.message.id == held.message.id
    status = await bob.event(MessageModerationStatusChanged, message_id=held.message.id)
    assert status.event.premoderation_status is PreModerationStatus.APPROVED
    assert status.event.moderation_status is ModerationStatus.UNSPECIFIED
    assert (await mod.request("set_premoderation", message_id=10**9, approved=True)).code is (
        ErrorCode.NOT_FOUND
    )


async def test_moderator_blocks_and_unblocks_a_users_sending(moderator, sign_up) -> None:
    alice = await sign_up(subscribe=True)
    bob = await sign_up()
    await moderator.ok("set_sending_blocked", user_id=alice.user.id, blocked=True, reason="spam")
    frame = await alice.event(SendingBlockedForUser)
    assert (frame.event.blocked, frame.event.reason) == (True, "spam")
    assert (await alice.track(frame.seq)).sending_blocked
    refused = await alice.request("send", client_message_id="x", to=bob.user.id, text="buy!")
    assert refused.code is ErrorCode.SENDING_BLOCKED
    await moderator.ok("set_sending_blocked", user_id=alice.user.id, blocked=False)
    frame = await alice.event(SendingBlockedForUser, blocked=False)
    assert not (await alice.track(frame.seq)).sending_blocked
    await alice.ok("send", client_message_id="y", to=bob.user.id, text="sorry")
    missing = await moderator.request("set_sending_blocked", user_id=10**9, blocked=True)
    assert missing.code is ErrorCode.NOT_FOUND


@pytest.mark.parametrize("approved", [False])
async def test_a_rejected_first_message_never_reaches_the_receiver(
    launch, connect, approved
) -> None:
    from parley.shared.models import Role

    server = await launch(premoderate_first=True)
    url = f"ws://127.0.0.1:{server.port}"
    await server.services.accounts.create_user(
        username="mod", password="tr0ub4dor&3-staple", display_name="Mod", role=Role.MODERATOR
    )
    mod = await connect(url=url)
    await mod.ok("login", username="mod", password="tr0ub4dor&3-staple")
    alice = await connect(url=url)
    await alice.ok("register", username="alice", password="tr0ub4dor&3-staple")
    await alice.ok("subscribe")
    bob = await connect(url=url)
    bob_id = (await bob.ok("register", username="bob", password="tr0ub4dor&3-staple")).user.id
    held = await alice.ok("send", client_message_id="1", to=bob_id, text="first!")
    await mod.ok("set_premoderation", message_id=held.message.id, approved=approved, reason="spam")
    status = await alice.event(MessageModerationStatusChanged, message_id=held.message.id)
    assert status.event.premoderation_status is PreModerationStatus.REJECTED
    page = await bob.ok("history", conversation_id=held.message.conversation_id)
    assert page.messages == []


async def test_export_my_data_holds_everything_i_sent_and_received(sign_up) -> None:
    from parley.shared.data_export import decode_data_export

    alice = await sign_up()
    bob = await sign_up()
    carol = await sign_up()
    await alice.ok("send", client_message_id="1", to=bob.user.id, text="hi bob")
    await bob.ok("send", client_message_id="2", to=alice.user.id, text="hi alice")
    gone = await alice.ok("send", client_message_id="3", to=bob.user.id, text="oops")
    await alice.ok("delete_message", message_id=gone.message.id, for_everyone=True)
    await carol.ok("send", client_message_id="4", to=alice.user.id, text="from carol", payload="{}")
    await bob.ok("send", client_message_id="5", to=carol.user.id, text="not alice's")
    reply = await alice.ok("export_my_data", time_zone="Europe/Paris")
    assert isinstance(reply, p.DataExportFrame)
    export = decode_data_export(p.encode_bytes(reply.export))  # the analytics reader's way
    assert export.user.id == alice.user.id
    assert export.time_zone == "Europe/Paris"
    by_other = {c.other_user.username: c for c in export.conversations}
    assert set(by_other) == {bob.user.username, carol.user.username}
    assert [(m.text, m.deleted) for m in by_other[bob.user.username].messages] == [
        ("hi bob", False),
        ("hi alice", False),
        ("", True),
    ]
    [from_carol] = by_other[carol.user.username].messages
    assert from_carol.has_attachment
    assert (await carol.ok("export_my_data")).export.time_zone is None


@pytest.mark.parametrize("seed", range(1, 9))
async def test_random_operations_keep_streamed_state_equal_to_fresh_state(
    connect, sign_up, seed
) -> None:
    """verify_action over random interleavings: deltas derived from new messages and
    deltas read from the store must together rebuild exactly the fresh state. Even seeds
    pipeline the requests of all users, so commits and events interleave on the server."""
    import random

    rng = random.Random(seed)
    pipelined = seed % 2 == 0
    users = [await sign_up(subscribe=True) for _ in range(3)]
    sent_ids: dict[int, list[int]] = {u.user.id: [] for u in users}
    in_flight: list[tuple[object, int]] = []

    async def call(client, kind: str, **fields) -> None:
        if pipelined:
            in_flight.append((client, await client.send_frame(kind, **fields)))
            return
        reply = await client.request(kind, **fields)
        if isinstance(reply, p.Sent):
            sent_ids[client.user.id].append(reply.message.id)

    async def settle_requests() -> None:
        for client, request_id in in_flight:
            reply = await client.expect(lambda f, r=request_id: getattr(f, "id", None) == r)
            if isinstance(reply, p.Sent):
                sent_ids[client.user.id].append(reply.message.id)
        in_flight.clear()

    for step in range(40):
        me, other = rng.sample(users, 2)
        conversation = "-".join(map(str, sorted((me.user.id, other.user.id))))
        op = rng.choice(
            ["send", "send", "send", "send", "read", "pin", "archive", "hide", "delete"]
        )
        if op == "send":
            await call(
                me, "send", client_message_id=f"{seed}-{step}", to=other.user.id, text="m" * step
            )
        elif op == "read":
            await call(me, "mark_read", conversation_id=conversation)
        elif op in ("pin", "archive", "hide"):
            field = {"pin": "pinned", "archive": "archived", "hide": "hidden"}[op]
            kind = {"pin": "set_pinned", "archive": "set_archived", "hide": "set_hidden"}[op]
            await call(me, kind, conversation_id=conversation, **{field: rng.random() < 0.5})
        elif sent_ids[me.user.id]:
            await call(
                me,
                "delete_message",
                message_id=rng.choice(sent_ids[me.user.id]),
                for_everyone=rng.random() < 0.5,
            )
        if step % 10 == 9:
            await settle_requests()
            for client in users:
                fresh = await fresh_state(connect, client)
                assert await client.track(fresh.version) == fresh
