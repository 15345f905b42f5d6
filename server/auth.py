"""Accounts: argon2id password hashes, opaque session tokens stored hashed, roles.

Tokens are random and opaque; the store keeps only their SHA-256, so a leaked database
does not leak live sessions. Hashing runs in a worker thread: argon2 is deliberately
slow and must not stall every other connection on the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from parley.server.store.interface import SessionInfo, Store
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.models import Role, User

USERNAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{2,31}")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
MAX_DISPLAY_NAME_LENGTH = 64
MAX_DEVICE_LENGTH = 64


def validate_username(username: str) -> None:
    if not USERNAME_RE.fullmatch(username):
        raise ParleyError(
            ErrorCode.INVALID_FIELD,
            "A username has 3 to 32 letters, digits, '_', '.' or '-', starting with a "
            "letter or digit.",
        )


def validate_display_name(display_name: str) -> None:
    if not display_name.strip() or len(display_name) > MAX_DISPLAY_NAME_LENGTH:
        raise ParleyError(
            ErrorCode.INVALID_FIELD,
            f"A display name has 1 to {MAX_DISPLAY_NAME_LENGTH} characters.",
        )


def check_password_policy(password: str, *, username: str) -> None:
    """The password policy: long enough, not trivially guessable from the account."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ParleyError(
            ErrorCode.WEAK_PASSWORD,
            f"A password needs at least {MIN_PASSWORD_LENGTH} characters.",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ParleyError(
            ErrorCode.WEAK_PASSWORD,
            f"A password has at most {MAX_PASSWORD_LENGTH} characters.",
        )
    if len(set(password)) < 4:
        raise ParleyError(
            ErrorCode.WEAK_PASSWORD, "A password needs at least 4 distinct characters."
        )
    if username.casefold() in password.casefold():
        raise ParleyError(ErrorCode.WEAK_PASSWORD, "A password must not contain the username.")


def token_hash(token: str) -> str:
    """What the store keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def may_moderate(user: User) -> bool:
    return user.role in (Role.MODERATOR, Role.ADMIN)


class Accounts:
    """Register, log in, resume and revoke sessions against one store."""

    def __init__(
        self,
        store: Store,
        *,
        session_ttl: timedelta,
        time_cost: int = 3,
        memory_kib: int = 64 * 1024,
        parallelism: int = 1,
    ) -> None:
        self._store = store
        self._ttl = session_ttl
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        self._dummy_hash: str | None = None

    async def hash_password(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def create_user(
        self, *, username: str, password: str, display_name: str | None, role: Role
    ) -> User:
        """CreateUser after the username, display-name and password rules."""
        validate_username(username)
        display = username if display_name is None else display_name
        validate_display_name(display)
        check_password_policy(password, username=username)
        password_hash = await self.hash_password(password)
        return await self._store.create_user(
            username=username, display_name=display, password_hash=password_hash, role=role
        )

    async def verify(self, username: str, password: str) -> User:
        """The user for a correct password; AUTH_FAILED alike for any wrong part."""
        credentials = await self._store.get_credentials(username)
        if credentials is not None:
            stored = credentials.password_hash
        else:
            # Verify against a throw-away hash so an unknown name takes as long as a
            # wrong password and the timing tells nothing.
            if self._dummy_hash is None:
                self._dummy_hash = await self.hash_password(secrets.token_hex(16))
            stored = self._dummy_hash
        ok: bool
        try:
            ok = await asyncio.to_thread(self._hasher.verify, stored, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or credentials is None:
            raise ParleyError(ErrorCode.AUTH_FAILED, "Wrong username or password.")
        return credentials.user

    async def start_session(self, user: User, *, device: str) -> tuple[str, datetime]:
        """A new opaque token (returned once, never stored) and its expiry."""
        token = secrets.token_urlsafe(32)
        expires_at = datetime.now(UTC) + self._ttl
        await self._store.create_session(
            user_id=user.id,
            token_hash=token_hash(token),
            expires_at=expires_at,
            device=device[:MAX_DEVICE_LENGTH],
        )
        return token, expires_at

    async def resume(self, token: str) -> SessionInfo:
        session = await self._store.get_session(token_hash(token), now=datetime.now(UTC))
        if session is None:
            raise ParleyError(
                ErrorCode.SESSION_EXPIRED, "The session is unknown, expired or revoked; log in."
            )
        return session

    async def revoke(self, token_hash_value: str) -> None:
        await self._store.revoke_session(token_hash_value)
