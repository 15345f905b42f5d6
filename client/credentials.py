"""Where the session token lives: the system keyring, or a private file when there is none.

A token is a password-equivalent until it expires, so the keyring is the right home.
Headless machines and minimal desktops often have no keyring backend (keyring's
``fail`` backend, or a ``chainer`` with nothing behind it); then the token goes into a
0600 file in the user's data folder and :attr:`TokenStore.fallback_warning` says so,
so the user is told rather than silently downgraded.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path

import keyring
import keyring.errors

from . import settings

log = logging.getLogger(__name__)

SERVICE = "parley"


def _keyring_usable() -> bool:
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration must not stop the app
        log.exception("keyring backend could not be loaded")
        return False
    priority = getattr(backend, "priority", 0)
    return bool(priority) and priority > 0 and "fail" not in type(backend).__module__


class TokenStore:
    """Session tokens by server URL and username (one account per server at a time)."""

    def __init__(self, *, fallback_file: Path | None = None, use_keyring: bool | None = None):
        self._file = fallback_file or settings.data_dir() / "tokens.json"
        self._keyring = _keyring_usable() if use_keyring is None else use_keyring

    @property
    def fallback_warning(self) -> str | None:
        """A sentence for the user when tokens are not in a keyring, else None."""
        if self._keyring:
            return None
        return (
            "No system keyring is available, so your session is kept in a private file "
            f"({self._file}) readable only by your user account."
        )

    def load(self, server: str) -> tuple[str, str] | None:
        """The (username, token) saved for a server, if any."""
        if self._keyring:
            try:
                username = keyring.get_password(SERVICE, f"{server}#user")
                token = keyring.get_password(SERVICE, server)
            except keyring.errors.KeyringError:
                log.exception("reading the keyring failed")
                return None
            return (username or "", token) if token else None
        entry = self._read_file().get(server)
        if isinstance(entry, dict) and isinstance(entry.get("token"), str):
            return str(entry.get("username", "")), entry["token"]
        return None

    def save(self, server: str, username: str, token: str) -> None:
        if self._keyring:
            try:
                keyring.set_password(SERVICE, server, token)
                keyring.set_password(SERVICE, f"{server}#user", username)
                return
            except keyring.errors.KeyringError:
                log.exception("writing the keyring failed; using the private file")
                self._keyring = False
        tokens = self._read_file()
        tokens[server] = {"username": username, "token": token}
        self._write_file(tokens)

    def delete(self, server: str) -> None:
        if self._keyring:
            for key in (server, f"{server}#user"):
                with contextlib.suppress(keyring.errors.KeyringError):
                    keyring.delete_password(SERVICE, key)
            return
        tokens = self._read_file()
        if tokens.pop(server, None) is not None:
            self._write_file(tokens)

    def _read_file(self) -> dict[str, object]:
        try:
            data = json.loads(self._file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("Ignoring unreadable token file %s", self._file)
            return {}
        return data if isinstance(data, dict) else {}

    def _write_file(self, tokens: dict[str, object]) -> None:
        """Create the file 0600 from the start, so the token is never world-readable."""
        self._file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(tokens, handle)
        os.replace(tmp, self._file)
