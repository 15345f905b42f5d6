"""Error codes of the wire protocol and the exception that carries them.

Every refusal a peer can act on has a stable code (documented in docs/protocol.md) and a
sentence for a person. Internal details never travel: anything that is not a
:class:`ParleyError` is reported to the peer as ``internal_error`` with no text from the
exception, and logged on the server.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable error codes; values are what appears on the wire."""

    BAD_FRAME = "bad_frame"  # not JSON, not an object, or not text
    UNKNOWN_TYPE = "unknown_type"  # the "type" field names no client message
    INVALID_FIELD = "invalid_field"  # missing, wrong-typed or undeclared field
    FRAME_TOO_LARGE = "frame_too_large"
    UNSUPPORTED_VERSION = "unsupported_version"
    HELLO_REQUIRED = "hello_required"
    NOT_AUTHENTICATED = "not_authenticated"
    AUTH_FAILED = "auth_failed"
    SESSION_EXPIRED = "session_expired"
    USERNAME_TAKEN = "username_taken"
    WEAK_PASSWORD = "weak_password"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    TEXT_TOO_LONG = "text_too_long"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    EMPTY_MESSAGE = "empty_message"
    SEND_TO_SELF = "send_to_self"
    SENDING_BLOCKED = "sending_blocked"
    BLOCKED_BY_RECEIVER = "blocked_by_receiver"
    RATE_LIMITED = "rate_limited"
    CONFLICT = "conflict"
    UNAVAILABLE = "unavailable"  # storage or another dependency is down; retry later
    INTERNAL_ERROR = "internal_error"


class ParleyError(Exception):
    """A refusal with a code the peer can act on and a sentence a person can read."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"ParleyError({self.code.value!r}, {self.message!r})"


class StorageUnavailable(ParleyError):
    """The storage environment failed (disk full, database locked or unreachable).

    Split from bugs as qutebrowser's ``misc/sql.py`` does: these get a friendly message
    and a retry, bugs get a crash report.
    """

    def __init__(self, message: str = "Storage is unavailable right now; try again.") -> None:
        super().__init__(ErrorCode.UNAVAILABLE, message)
