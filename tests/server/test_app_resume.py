"""Resume after a reconnect: replay what was missed, or a snapshot when the gap is large."""

from __future__ import annotations

from parley.shared import protocol as p
from parley.shared.errors import ErrorCode
from parley.shared.events import MessageReceived

PASSWORD = "tr0ub4dor&3-staple"


async def reconnect(connect, token: str, *, since: int | None, url: str | None = None):
    client = await connect(url=url)
    session = await client.ok("authenticate", token=token)
    client.user, client.token = session.user, token
    subscribed = await client.ok("subscribe", since=since)
    return client, subscribed


async def test_a_reconnecting_client_is_replayed_what_it_missed(sign_up, connect) -> None:
    alice = await sign_up()
    bob = await sign_up(subscribe=True)
    await alice.ok("send", client_message_id="1", to=bob.user.id, text="seen")
    last_seq = (await bob.event(MessageReceived)).seq
    await bob.close()
    missed = [
        await alice.ok("send", client_message_id=f"m{i}", to=bob.user.id, text=f"missed {i}")
        for i in range(2)
    ]
    bob, subscribed = await reconnect(connect, bob.token, since=last_seq)
    assert isinstance(subscribed, p.Subscribed)
    assert (subscribed.resumed, subscribed.replayed) == (True, 2)
    replayed = [await bob.expect(p.EventFrame) for _ in range(2)]
    assert [f.event.message.id for f in replayed] == [s.message.id for s in missed]
    assert replayed[0].seq > last_seq
    assert replayed[1].seq > replayed[0].seq
    snapshot = await bob.expect(p.ChatStateSnapshot)
    assert snapshot.state.total_unread == 3
    assert snapshot.state.version >= replayed[1].seq
    # live again after the snapshot
    live = await alice.ok("send", client_message_id="live", to=bob.user.id, text="live")
    assert (await bob.event(MessageReceived)).event.message.id == live.message.id


async def test_nothing_missed_resumes_with_no_replay(sign_up, connect) -> None:
    alice = await sign_up()
    bob = await sign_up(subscribe=True)
    await alice.ok("send", client_message_id="1", to=bob.user.id, text="x")
    last_seq = (await bob.event(MessageReceived)).seq
    bob, subscribed = await reconnect(connect, bob.token, since=last_seq)
    assert (subscribed.resumed, subscribed.replayed) == (True, 0)
    assert (await bob.expect(p.ChatStateSnapshot)).state.total_unread == 1


async def test_too_large_a_gap_gets_a_snapshot_instead(launch, connect) -> None:
    server = await launch(max_replay_events=2)
    url = f"ws://127.0.0.1:{server.port}"
    alice = await connect(url=url)
    await alice.ok("register", username="alice", password=PASSWORD)
    bob = await connect(url=url)
    session = await bob.ok("register", username="bob", password=PASSWORD)
    await bob.close()
    for i in range(3):
        await alice.ok("send", client_message_id=f"m{i}", to=session.user.id, text=f"{i}")
    bob, subscribed = await reconnect(connect, session.token, since=0, url=url)
    assert (subscribed.resumed, subscribed.replayed) == (False, 0)
    snapshot = await bob.expect(p.ChatStateSnapshot)
    assert snapshot.state.total_unread == 3
    await bob.nothing_more(p.EventFrame)


async def test_a_sequence_from_the_future_gets_a_snapshot(sign_up, connect) -> None:
    bob = await sign_up()
    bob, subscribed = await reconnect(connect, bob.token, since=10**9)
    assert not subscribed.resumed
    await bob.expect(p.ChatStateSnapshot)


async def test_a_negative_sequence_is_invalid(sign_up) -> None:
    bob = await sign_up()
    assert (await bob.request("subscribe", since=-1)).code is ErrorCode.INVALID_FIELD


async def test_resume_across_a_server_restart_on_the_same_database(
    launch, connect, tmp_path
) -> None:
    database = tmp_path / "restart.db"
    server = await launch(database)
    url = f"ws://127.0.0.1:{server.port}"
    alice = await connect(url=url)
    alice_session = await alice.ok("register", username="alice", password=PASSWORD)
    bob = await connect(url=url)
    bob_session = await bob.ok("register", username="bob", password=PASSWORD)
    await bob.ok("subscribe")
    await alice.ok("send", client_message_id="1", to=bob_session.user.id, text="before")
    last_seq = (await bob.event(MessageReceived)).seq
    await server.close()

    restarted = await launch(database)
    url = f"ws://127.0.0.1:{restarted.port}"
    alice, _ = await reconnect(connect, alice_session.token, since=None, url=url)
    after = await alice.ok("send", client_message_id="2", to=bob_session.user.id, text="after")
    again = await alice.ok("send", client_message_id="1", to=bob_session.user.id, text="before")
    assert again.duplicate  # idempotency survives the restart
    bob, subscribed = await reconnect(connect, bob_session.token, since=last_seq, url=url)
    assert (subscribed.resumed, subscribed.replayed) == (True, 1)
    assert (await bob.event(MessageReceived)).event.message.id == after.message.id
    assert (await bob.expect(p.ChatStateSnapshot)).state.total_unread == 2


async def test_subscribing_again_replaces_the_stream(sign_up) -> None:
    alice = await sign_up()
    bob = await sign_up(subscribe=True)
    await bob.ok("subscribe")
    await bob.expect(p.ChatStateSnapshot)
    await alice.ok("send", client_message_id="1", to=bob.user.id, text="once")
    await bob.event(MessageReceived)
    await bob.nothing_more(p.EventFrame)  # one stream, so one copy


async def test_changes_without_a_body_come_back_in_the_snapshot_not_as_events(
    sign_up, connect
) -> None:
    """ConversationChanged takes a sequence number but is never sent as an event frame:
    a pin made on another device while this one was away shows in the snapshot."""
    alice = await sign_up()
    bob = await sign_up(subscribe=True)
    sent = await alice.ok("send", client_message_id="1", to=bob.user.id, text="hi")
    last_seq = (await bob.event(MessageReceived)).seq
    await bob.close()
    phone = await connect()
    await phone.ok("authenticate", token=bob.token)
    await phone.ok("set_pinned", conversation_id=sent.message.conversation_id, pinned=True)
    bob, subscribed = await reconnect(connect, bob.token, since=last_seq)
    assert (subscribed.resumed, subscribed.replayed) == (True, 0)
    snapshot = await bob.expect(p.ChatStateSnapshot)
    assert snapshot.state.version > last_seq
    assert snapshot.state.conversations[0].pinned
    await bob.nothing_more(p.EventFrame)
