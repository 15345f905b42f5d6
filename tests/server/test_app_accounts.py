"""Accounts over the wire: register, login, authenticate, logout, expiry, flooding."""

from __future__ import annotations

import pytest

from parley.shared import protocol as p
from parley.shared.errors import ErrorCode

PASSWORD = "tr0ub4dor&3-staple"


async def test_register_returns_a_session_token_that_authenticates_elsewhere(connect) -> None:
    first = await connect()
    session = await first.ok("register", username="ada", password=PASSWORD, display_name="Ada L")
    assert isinstance(session, p.Session)
    assert (session.user.username, session.user.display_name, session.user.role) == (
        "ada",
        "Ada L",
        "user",
    )
    assert session.token
    second = await connect()
    resumed = await second.ok("authenticate", token=session.token)
    assert resumed.user == session.user
    assert resumed.token is None


async def test_login_with_the_right_password_only(connect) -> None:
    client = await connect()
    await client.ok("register", username="ada", password=PASSWORD)
    other = await connect()
    wrong = await other.request("login", username="ada", password=PASSWORD + "!")
    unknown = await other.request("login", username="nobody", password=PASSWORD)
    assert wrong.code is unknown.code is ErrorCode.AUTH_FAILED
    assert wrong.message == unknown.message  # no hint which part was wrong
    session = await other.ok("login", username="ADA", password=PASSWORD)
    assert session.user.username == "ada"


@pytest.mark.parametrize(
    ("username", "password", "code"),
    [
        ("ada", "short", ErrorCode.WEAK_PASSWORD),
        ("ada", "aaaaaaaaaaaa", ErrorCode.WEAK_PASSWORD),
        ("ada", "my-ada-password", ErrorCode.WEAK_PASSWORD),
        ("a", PASSWORD, ErrorCode.INVALID_FIELD),
        ("bad name!", PASSWORD, ErrorCode.INVALID_FIELD),
    ],
)
async def test_register_refuses_bad_names_and_weak_passwords(
    connect, username, password, code
) -> None:
    client = await connect()
    assert (await client.request("register", username=username, password=password)).code is code
    assert (await client.request("login", username=username, password=password)).code is (
        ErrorCode.AUTH_FAILED
    )


async def test_usernames_are_unique_regardless_of_case(connect) -> None:
    client = await connect()
    await client.ok("register", username="ada", password=PASSWORD)
    other = await connect()
    assert (await other.request("register", username="ADA", password=PASSWORD)).code is (
        ErrorCode.USERNAME_TAKEN
    )


async def test_a_signed_in_connection_must_log_out_before_signing_in_again(sign_up) -> None:
    client = await sign_up()
    reply = await client.request("login", username="x", password=PASSWORD)
    assert reply.code is ErrorCode.CONFLICT


async def test_unknown_token_is_refused(connect) -> None:
    client = await connect()
    assert (await client.request("authenticate", token="forged")).code is ErrorCode.SESSION_EXPIRED


async def test_logout_revokes_the_token_on_every_connection(sign_up, device, connect) -> None:
    phone = await sign_up(subscribe=True)
    laptop = await device(phone)
    await phone.ok("logout")
    assert (await laptop.request("get_chat_state")).code is ErrorCode.NOT_AUTHENTICATED
    assert (await phone.request("get_chat_state")).code is ErrorCode.NOT_AUTHENTICATED
    fresh = await connect()
    assert (await fresh.request("authenticate", token=phone.token)).code is (
        ErrorCode.SESSION_EXPIRED
    )


async def test_an_expired_session_is_refused(launch, connect) -> None:
    server = await launch(session_days=1e-9)
    client = await connect(url=f"ws://127.0.0.1:{server.port}")
    session = await client.ok("register", username="ada", password=PASSWORD)
    assert (await client.request("get_chat_state")).code is ErrorCode.SESSION_EXPIRED
    assert (await client.request("get_chat_state")).code is ErrorCode.NOT_AUTHENTICATED
    assert (await client.request("authenticate", token=session.token)).code is (
        ErrorCode.SESSION_EXPIRED
    )


async def test_registration_can_be_closed(launch, connect) -> None:
    server = await launch(allow_registration=False)
    client = await connect(url=f"ws://127.0.0.1:{server.port}")
    reply = await client.request("register", username="ada", password=PASSWORD)
    assert reply.code is ErrorCode.FORBIDDEN


async def test_flooding_sends_is_rate_limited_per_user_across_devices(launch, connect) -> None:
    server = await launch(messages_per_minute=1, send_burst=3)
    url = f"ws://127.0.0.1:{server.port}"
    bob = await connect(url=url)
    bob_user = (await bob.ok("register", username="bob", password=PASSWORD)).user
    phone = await connect(url=url)
    session = await phone.ok("register", username="ada", password=PASSWORD)
    laptop = await connect(url=url)
    await laptop.ok("authenticate", token=session.token)
    for i, client in enumerate([phone, laptop, phone]):
        await client.ok("send", client_message_id=f"m{i}", to=bob_user.id, text="hi")
    refused = await laptop.request("send", client_message_id="m9", to=bob_user.id, text="hi")
    assert refused.code is ErrorCode.RATE_LIMITED
    assert "try again" in refused.message
    page = await bob.ok("history", conversation_id=f"{bob_user.id}-{session.user.id}")
    assert len(page.messages) == 3
    assert isinstance(await bob.request("ping"), p.Pong)  # others unaffected


async def test_flooding_frames_is_rate_limited_per_connection(launch, connect) -> None:
    server = await launch(frames_per_second=0.001, frame_burst=5)
    client = await connect(url=f"ws://127.0.0.1:{server.port}")  # hello: 1 frame
    replies = [await client.request("ping") for _ in range(6)]
    assert [type(r) for r in replies[:4]] == [p.Pong] * 4
    assert all(r.code is ErrorCode.RATE_LIMITED for r in replies[4:])
