"""Accounts: users, roles, finding people, sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from parley.server.store.interface import Store
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.models import Role


async def test_created_user_can_be_read_back(store: Store, make_user) -> None:
    alice = await make_user("alice", role=Role.MODERATOR)

    assert await store.get_user(alice.id) == alice
    credentials = await store.get_credentials(alice.username)
    assert credentials is not None
    assert credentials.user == alice
    assert credentials.password_hash.startswith("$argon2id$")
    assert not credentials.sending_blocked
    assert await store.get_user(alice.id + 1_000_000) is None


async def test_usernames_are_unique_case_insensitively(store: Store, make_user) -> None:
    alice = await make_user("alice")

    with pytest.raises(ParleyError) as taken:
        await store.create_user(
            username=alice.username.upper(),
            display_name="Impostor",
            password_hash="h",
            role=Role.USER,
        )

    assert taken.value.code == ErrorCode.USERNAME_TAKEN
    found = await store.get_credentials(alice.username.upper())
    assert found is not None
    assert found.user.id == alice.id


async def test_unknown_username_has_no_credentials(store: Store) -> None:
    assert await store.get_credentials("nobody-by-this-name") is None


async def test_role_can_be_changed(store: Store, make_user) -> None:
    alice = await make_user("alice")

    promoted = await store.set_user_role(alice.id, Role.ADMIN)

    assert promoted.role == Role.ADMIN
    assert (await store.get_user(alice.id)).role == Role.ADMIN
    with pytest.raises(ParleyError) as refused:
        await store.set_user_role(alice.id + 1_000_000, Role.ADMIN)
    assert refused.value.code == ErrorCode.NOT_FOUND


async def test_find_users_matches_name_prefixes_case_insensitively(store: Store, make_user) -> None:
    me = await make_user("seeker")
    zoe = await make_user("zoe")
    await make_user("zed")

    by_name = await store.find_users(zoe.username[:6].upper(), limit=10, exclude_user_id=me.id)
    by_display = await store.find_users(zoe.display_name.lower(), limit=10, exclude_user_id=me.id)
    both = await store.find_users("z", limit=10, exclude_user_id=me.id)

    assert [u.id for u in by_name] == [zoe.id]
    assert [u.id for u in by_display] == [zoe.id]
    assert {u.username[:3] for u in both} >= {"zoe", "zed"}
    assert await store.find_users("z", limit=1, exclude_user_id=me.id) == both[:1]


async def test_find_users_leaves_out_the_searcher_and_empty_queries(
    store: Store, make_user
) -> None:
    me = await make_user("seeker")

    assert me.id not in [
        u.id for u in await store.find_users("seeker", limit=10, exclude_user_id=me.id)
    ]
    assert await store.find_users("   ", limit=10, exclude_user_id=me.id) == []


async def test_live_session_resolves_to_its_user(store: Store, make_user) -> None:
    alice = await make_user("alice")
    now = datetime.now(UTC)
    expires = now + timedelta(hours=1)
    await store.create_session(
        user_id=alice.id, token_hash="hash-1", expires_at=expires, device="laptop"
    )

    session = await store.get_session("hash-1", now=now)

    assert session is not None
    assert session.user == alice
    assert abs(session.expires_at - expires) < timedelta(milliseconds=1)
    assert await store.get_session("hash-unknown", now=now) is None


async def test_expired_session_is_gone(store: Store, make_user) -> None:
    alice = await make_user("alice")
    now = datetime.now(UTC)
    await store.create_session(
        user_id=alice.id, token_hash="hash-2", expires_at=now + timedelta(minutes=5), device=""
    )

    assert await store.get_session("hash-2", now=now + timedelta(minutes=6)) is None


async def test_revoked_session_is_gone(store: Store, make_user) -> None:
    alice = await make_user("alice")
    now = datetime.now(UTC)
    await store.create_session(
        user_id=alice.id, token_hash="hash-3", expires_at=now + timedelta(hours=1), device="phone"
    )
    await store.create_session(
        user_id=alice.id, token_hash="hash-4", expires_at=now + timedelta(hours=1), device="laptop"
    )

    await store.revoke_session("hash-3")
    await store.revoke_session("hash-never-issued")  # harmless

    assert await store.get_session("hash-3", now=now) is None
    assert await store.get_session("hash-4", now=now) is not None  # other devices stay in


async def test_session_for_unknown_user_is_refused(store: Store, make_user) -> None:
    alice = await make_user("alice")
    with pytest.raises(ParleyError) as refused:
        await store.create_session(
            user_id=alice.id + 1_000_000,
            token_hash="hash-5",
            expires_at=datetime.now(UTC) + timedelta(hours=1),
            device="",
        )
    assert refused.value.code == ErrorCode.NOT_FOUND
