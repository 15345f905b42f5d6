"""Every bad input gets an error frame with its code; the connection keeps serving."""

from __future__ import annotations

import json

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from parley.server.app import WEBSOCKET_MAX_SIZE
from parley.shared import protocol as p
from parley.shared.errors import ErrorCode


async def still_serving(client) -> None:
    assert isinstance(await client.request("ping"), p.Pong)


async def error_of(client, data: str | bytes) -> p.Error:
    await client.send_raw(data)
    return await client.expect(p.Error)


async def test_frames_before_hello_are_refused(connect) -> None:
    client = await connect(hello=False)
    reply = await client.request("ping")
    assert (reply.code, reply.id) == (ErrorCode.HELLO_REQUIRED, 1)
    reply = await client.request("login", username="x", password="y" * 8)
    assert reply.code is ErrorCode.HELLO_REQUIRED


async def test_unsupported_version_then_a_good_hello(connect) -> None:
    client = await connect(hello=False)
    reply = await client.request("hello", versions=[99])
    assert reply.code is ErrorCode.UNSUPPORTED_VERSION
    welcome = await client.ok("hello", versions=[99, p.PROTOCOL_VERSION])
    assert welcome.protocol == p.PROTOCOL_VERSION
    assert welcome.limits.max_text_length == 1024
    assert (await client.request("hello", versions=[1])).code is ErrorCode.CONFLICT


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "subscribe"},
        {"type": "send", "client_message_id": "c", "to": 2, "text": "hi"},
        {"type": "history", "conversation_id": "1-2"},
        {"type": "logout"},
        {"type": "set_sending_blocked", "user_id": 1, "blocked": True},
    ],
)
async def test_requests_before_login_are_not_authenticated(connect, frame) -> None:
    client = await connect()
    reply = await client.request(frame.pop("type"), **frame)
    assert reply.code is ErrorCode.NOT_AUTHENTICATED


@pytest.mark.parametrize(
    ("data", "code", "request_id"),
    [
        ("{not json", ErrorCode.BAD_FRAME, None),
        ("[1, 2, 3]", ErrorCode.BAD_FRAME, None),
        (b"\x00\x01binary", ErrorCode.BAD_FRAME, None),
        ('{"type": "teleport", "id": 4}', ErrorCode.UNKNOWN_TYPE, 4),
        ('{"id": 5}', ErrorCode.INVALID_FIELD, 5),
        ('{"type": "send", "id": 6, "to": 2, "text": "x"}', ErrorCode.INVALID_FIELD, 6),
        (
            '{"type": "send", "id": 7, "client_message_id": "c", "to": "bob", "text": "x"}',
            ErrorCode.INVALID_FIELD,
            7,
        ),
        ('{"type": "ping", "id": 8, "extra": true}', ErrorCode.INVALID_FIELD, 8),
    ],
)
async def test_unreadable_frames_get_a_code_and_the_connection_serves_on(
    sign_up, data, code, request_id
) -> None:
    client = await sign_up()
    error = await error_of(client, data)
    assert (error.code, error.id) == (code, request_id)
    assert error.message
    await still_serving(client)


async def test_frame_over_the_protocol_limit_is_refused_and_the_connection_stays(sign_up) -> None:
    client = await sign_up()
    big = json.dumps({"type": "ping", "id": 9, "pad": "x" * p.MAX_FRAME_BYTES})
    error = await error_of(client, big)
    assert (error.code, error.id) == (ErrorCode.FRAME_TOO_LARGE, 9)
    # multi-byte characters count in UTF-8 bytes, not characters
    wide = json.dumps(
        {"type": "ping", "id": 10, "pad": "é" * (p.MAX_FRAME_BYTES // 2)}, ensure_ascii=False
    )
    assert (await error_of(client, wide)).code is ErrorCode.FRAME_TOO_LARGE
    await still_serving(client)


async def test_frame_over_the_transport_limit_closes_only_that_connection(sign_up) -> None:
    victim = await sign_up()
    bystander = await sign_up()
    await victim.send_raw("x" * (WEBSOCKET_MAX_SIZE + 1))
    with pytest.raises(ConnectionClosed) as closed:
        await victim.ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009
    await still_serving(bystander)


async def test_message_rules_are_enforced_and_nothing_is_written(sign_up) -> None:
    alice = await sign_up()
    bob = await sign_up()
    to = bob.user.id
    cases = [
        ({"text": "x" * 1025}, ErrorCode.TEXT_TOO_LONG),
        ({"text": "   "}, ErrorCode.EMPTY_MESSAGE),
        ({"text": "hi", "payload": "x" * 4001}, ErrorCode.PAYLOAD_TOO_LARGE),
        ({"text": "hi", "to": alice.user.id}, ErrorCode.SEND_TO_SELF),
        ({"text": "hi", "to": 999_999}, ErrorCode.NOT_FOUND),
        ({"text": "hi", "client_message_id": ""}, ErrorCode.INVALID_FIELD),
        ({"text": "hi", "message_type": -1}, ErrorCode.INVALID_FIELD),
    ]
    for i, (fields, code) in enumerate(cases):
        frame = {"client_message_id": f"c{i}", "to": to, **fields}
        reply = await alice.request("send", **frame)
        assert reply.code is code, (fields, reply)
    page = await alice.ok("history", conversation_id=f"{alice.user.id}-{to}")
    assert page.messages == []
    state = await bob.ok("get_chat_state")
    assert state.state.conversations == []


async def test_limit_of_1024_characters_is_inclusive(sign_up) -> None:
    alice = await sign_up()
    bob = await sign_up()
    sent = await alice.ok("send", client_message_id="c", to=bob.user.id, text="é" * 1024)
    assert len(sent.message.text) == 1024


async def test_plain_users_may_not_moderate(sign_up) -> None:
    alice = await sign_up()
    bob = await sign_up()
    for kind, fields in [
        ("set_premoderation", {"message_id": 1, "approved": True}),
        ("set_sending_blocked", {"user_id": bob.user.id, "blocked": True}),
    ]:
        assert (await alice.request(kind, **fields)).code is ErrorCode.FORBIDDEN


async def test_strangers_cannot_read_or_change_a_conversation(sign_up) -> None:
    alice = await sign_up()
    bob = await sign_up()
    eve = await sign_up()
    sent = await alice.ok("send", client_message_id="c", to=bob.user.id, text="private")
    conversation = sent.message.conversation_id
    for kind, fields in [
        ("history", {"conversation_id": conversation}),
        ("mark_read", {"conversation_id": conversation}),
        ("set_pinned", {"conversation_id": conversation, "pinned": True}),
        ("set_archived", {"conversation_id": conversation, "archived": True}),
        ("set_hidden", {"conversation_id": conversation, "hidden": True}),
        ("delete_message", {"message_id": sent.message.id, "for_everyone": True}),
        ("flag_message", {"message_id": sent.message.id, "reason": "nosy"}),
        ("history", {"conversation_id": "not-a-conversation"}),
    ]:
        reply = await eve.request(kind, **fields)
        assert reply.code is ErrorCode.NOT_FOUND, (kind, reply)
    # the receiver may not delete the sender's message for everyone
    reply = await bob.request("delete_message", message_id=sent.message.id, for_everyone=True)
    assert reply.code is ErrorCode.FORBIDDEN
    page = await bob.ok("history", conversation_id=conversation)
    assert [m.text for m in page.messages] == ["private"]


async def test_page_limits_are_checked(sign_up) -> None:
    alice = await sign_up()
    bob = await sign_up()
    conversation = f"{alice.user.id}-{bob.user.id}"
    assert (await alice.request("history", conversation_id=conversation, limit=0)).code is (
        ErrorCode.INVALID_FIELD
    )
    assert (await alice.request("history", conversation_id=conversation, limit=101)).code is (
        ErrorCode.INVALID_FIELD
    )
    assert (await alice.request("find_users", query="")).code is ErrorCode.INVALID_FIELD


async def test_a_failing_handler_answers_internal_error_without_detail(
    server, sign_up, caplog
) -> None:
    alice = await sign_up()

    async def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    server.services.store.find_users = broken  # type: ignore[method-assign]
    reply = await alice.request("find_users", query="a")
    assert reply.code is ErrorCode.INTERNAL_ERROR
    assert "secret" not in reply.message
    assert "secret internal detail" in caplog.text  # logged with its traceback
    await still_serving(alice)


async def test_the_server_keeps_serving_others_while_one_client_misbehaves(
    connect, sign_up
) -> None:
    rude = await connect()
    polite = await sign_up()
    for _ in range(5):
        await rude.send_raw("{{{")
    await rude.ws.close()
    await still_serving(polite)
    async with websockets.connect(f"ws://127.0.0.1:{polite.ws.remote_address[1]}") as fresh:
        await fresh.send('{"type": "ping", "id": 1}')
        assert p.decode_server_frame(await fresh.recv()).code is ErrorCode.HELLO_REQUIRED
