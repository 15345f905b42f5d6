"""Events committed by another process reach connected users live, through the event tail.

A second :class:`SqliteStore` on the server's database file stands for the other
process (it writes exactly as ``parley moderation worker`` or ``parley user`` would); one
test runs the real worker as a subprocess, another a second server on the same file.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from parley.server.app import ParleyServer
from parley.server.settings import Settings
from parley.server.store.sqlite import SqliteStore
from parley.shared import protocol as p
from parley.shared.events import (
    MessageModerationStatusChanged,
    MessageReceived,
    MessageSent,
    SendingBlockedForUser,
)
from parley.shared.models import ModerationStatus, PreModerationStatus

PASSWORD = "tr0ub4dor&3-staple"
TIMEOUT = 5.0
WORKER_TIMEOUT = 60.0  # the worker process loads its model before the first decision


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test server, tailing the log every 20 ms so waits stay short."""
    return settings.model_copy(update={"event_tail_interval_ms": 20.0})


def url_of(server: ParleyServer) -> str:
    return f"ws://127.0.0.1:{server.port}"


@pytest.fixture
async def other(database: Path, server: ParleyServer) -> AsyncIterator[SqliteStore]:
    """Another process's store on the server's database file."""
    store = SqliteStore(database)
    await store.open()
    yield store
    await store.close()


async def caught_up(server: ParleyServer, store: SqliteStore) -> None:
    """Wait until the server's tail has read everything in the log."""
    head = (await store.get_events_after(None, limit=0)).head
    tail = server.tail
    assert tail is not None
    async with asyncio.timeout(TIMEOUT):
        while True:  # the condition, polled: the tail signals nothing
            if tail.position >= head:
                return
            await asyncio.sleep(0.01)


async def reconnect(connect, token: str, *, since: int | None, url: str | None = None):
    client = await connect(url=url)
    session = await client.ok("authenticate", token=token)
    client.user, client.token = session.user, token
    subscribed = await client.ok("subscribe", since=since)
    return client, subscribed


async def test_a_decision_applied_by_another_process_reaches_both_users_live(
    sign_up, other
) -> None:
    alice = await sign_up(subscribe=True)
    bob = await sign_up(subscribe=True)
    sent = await alice.ok("send", client_message_id="1", to=bob.user.id, text="hello there")
    await bob.track((await bob.event(MessageReceived)).seq)
    await alice.track((await alice.event(MessageSent)).seq)

    await other.set_moderation_status(
        message_id=sent.message.id, status=ModerationStatus.REMOVED, reason="threat"
    )

    for client in (bob, alice):
        frame = await client.event(MessageModerationStatusChanged, message_id=sent.message.id)
        assert frame.event.moderation_status is ModerationStatus.REMOVED
        # ...followed by a chat-state delta that accounts for it, with no resync.
        state = await client.track(frame.seq)
        assert state.version >= frame.seq
        assert state == await other.get_chat_state(client.user.id)


async def test_a_first_message_released_by_another_process_arrives_with_its_unread_count(
    launch, connect
) -> None:
    server = await launch(premoderate_first=True, event_tail_interval_ms=20.0)
    url = url_of(server)
    alice, bob = await connect(url=url), await connect(url=url)
    await alice.ok("register", username="alice", password=PASSWORD)
    session = await bob.ok("register", username="bob", password=PASSWORD)
    await bob.ok("subscribe")
    bob.state = (await bob.expect(p.ChatStateSnapshot)).state
    sent = await alice.ok("send", client_message_id="1", to=session.user.id, text="hi, first")
    assert sent.first
    other = SqliteStore(Path(server.settings.database_url.removeprefix("sqlite:///")))
    await other.open()
    try:
        await other.set_premoderation_status(
            message_id=sent.message.id, status=PreModerationStatus.APPROVED, reason="clean"
        )

        released = await bob.event(MessageReceived)
        assert released.event.message.id == sent.message.id
        state = await bob.settle(await other.get_chat_state(session.user.id))
        assert state.total_unread == 1
    finally:
        await other.close()


async def test_events_this_server_published_are_not_delivered_again(server, sign_up, other) -> None:
    alice = await sign_up(subscribe=True)
    bob = await sign_up(subscribe=True)
    for i in range(20):
        await alice.ok("send", client_message_id=f"m{i}", to=bob.user.id, text=f"message {i}")

    await caught_up(server, other)  # the tail has read all of these back by now

    await bob.nothing_more(p.Error)
    await alice.nothing_more(p.Error)
    received = Counter(
        f.event.message.id
        for f in bob.inbox
        if isinstance(f, p.EventFrame) and isinstance(f.event, MessageReceived)
    )
    sent = Counter(
        f.event.message.id
        for f in alice.inbox
        if isinstance(f, p.EventFrame) and isinstance(f.event, MessageSent)
    )
    assert len(received) == len(sent) == 20
    assert set(received.values()) == set(sent.values()) == {1}
    await bob.settle(await other.get_chat_state(bob.user.id))


async def test_an_earlier_event_from_another_process_still_follows_a_later_local_one(
    sign_up, other
) -> None:
    """The tail brings another process's event after this server's own later one: it
    must not be dropped as seen (a stream deduplicating by the highest sequence number
    would), and the client still gets the two in sequence order."""
    alice = await sign_up(subscribe=True)
    bob = await sign_up(subscribe=True)

    blocked = await other.set_sending_blocked(user_id=bob.user.id, blocked=True, reason="spam")
    await alice.ok("send", client_message_id="1", to=bob.user.id, text="right after")

    first, second = await bob.expect(p.EventFrame), await bob.expect(p.EventFrame)
    assert isinstance(first.event, SendingBlockedForUser)
    assert first.seq == blocked.events[0].seq
    assert isinstance(second.event, MessageReceived)
    assert second.seq > first.seq
    state = await bob.settle(await other.get_chat_state(bob.user.id))
    assert state.sending_blocked


async def test_a_burst_from_another_process_arrives_whole_in_order_and_once(
    server, sign_up, other
) -> None:
    bob = await sign_up(subscribe=True)
    carol = await other.create_user(
        username="carol", display_name="Carol", password_hash="x", role=bob.user.role
    )
    ids = []
    for i in range(150):
        outcome = await other.send_message(
            sender_id=carol.id,
            receiver_id=bob.user.id,
            text=f"burst {i}",
            sent_at=datetime.now(UTC),
            premoderate_first=False,
            client_message_id=f"b{i}",
        )
        ids.append(outcome.result.message.id)

    got = [(await bob.event(MessageReceived)).event.message.id for _ in ids]

    assert got == ids
    state = await bob.settle(await other.get_chat_state(bob.user.id))
    assert state.total_unread == 150
    await caught_up(server, other)
    await bob.nothing_more(p.Error)
    assert not [f for f in bob.inbox if isinstance(f, p.EventFrame)]


async def test_a_second_server_on_the_same_database_delivers_across(
    server, launch, sign_up, connect, database
) -> None:
    second = await launch(database, event_tail_interval_ms=20.0)
    alice = await sign_up(subscribe=True)  # on the first server
    bob = await sign_up()
    bob, _ = await reconnect(connect, bob.token, since=None, url=url_of(second))
    bob.state = (await bob.expect(p.ChatStateSnapshot)).state

    sent = await alice.ok("send", client_message_id="x", to=bob.user.id, text="across nodes")

    assert (await bob.event(MessageReceived)).event.message.id == sent.message.id
    await bob.settle(await second.services.store.get_chat_state(bob.user.id))


async def test_with_the_tail_off_another_process_is_heard_only_on_resync(launch, connect) -> None:
    server = await launch(event_tail_interval_ms=0)
    assert server.tail is None
    url = url_of(server)
    alice, bob = await connect(url=url), await connect(url=url)
    await alice.ok("register", username="alice", password=PASSWORD)
    session = await bob.ok("register", username="bob", password=PASSWORD)
    await bob.ok("subscribe")
    await bob.expect(p.ChatStateSnapshot)
    await alice.ok("send", client_message_id="1", to=session.user.id, text="one")
    last_seq = (await bob.event(MessageReceived)).seq
    other = SqliteStore(Path(server.settings.database_url.removeprefix("sqlite:///")))
    await other.open()
    try:
        await other.set_sending_blocked(user_id=session.user.id, blocked=True, reason="spam")
    finally:
        await other.close()

    # A later in-process event goes out; the other process's event did not.
    await alice.ok("send", client_message_id="2", to=session.user.id, text="two")
    await bob.event(MessageReceived)
    await bob.nothing_more(p.Error)
    assert not [
        f
        for f in bob.inbox
        if isinstance(f, p.EventFrame) and f.event.__class__ is SendingBlockedForUser
    ]

    bob, subscribed = await reconnect(connect, session.token, since=last_seq, url=url)
    assert subscribed.resumed
    replayed = [await bob.expect(p.EventFrame) for _ in range(subscribed.replayed)]
    assert any(isinstance(f.event, SendingBlockedForUser) for f in replayed)


async def test_a_separate_moderation_worker_process_decides_and_users_see_it_live(
    sign_up, database, tmp_path
) -> None:
    alice = await sign_up(subscribe=True)
    bob = await sign_up(subscribe=True)
    sent = await alice.ok(
        "send", client_message_id="1", to=bob.user.id, text="what the fuck is this"
    )
    await bob.event(MessageReceived)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env["PARLEY_CONFIG_FILE"] = str(tmp_path / "absent.toml")
    env["PARLEY_MODERATION_VERSIONS_DIR"] = str(tmp_path / "versions")
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "parley"),
        "moderation",
        "worker",
        "--database",
        f"sqlite:///{database}",
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        for client in (bob, alice):
            frame = await client.event(
                MessageModerationStatusChanged, within=WORKER_TIMEOUT, message_id=sent.message.id
            )
            assert frame.event.moderation_status is ModerationStatus.FLAGGED
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(WORKER_TIMEOUT):
            _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
