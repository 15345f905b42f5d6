"""Parley's wire protocol: JSON text frames over a WebSocket, one strict struct per type.

Free of I/O, like ``websockets``' own protocol layer: :func:`decode_client_frame` turns
text into a typed request or raises :class:`~parley.shared.errors.ParleyError` with the
code to answer; :func:`encode` turns any frame into text. The server and the client
only move these frames. Every frame has a literal ``type``; undeclared fields are
rejected (as Zulip's event types do) so that a typo is an error, not a silent no-op.
Requests carry an ``id`` chosen by the client and echoed in the reply.

docs/protocol.md documents each frame; keep them in step.
"""

from __future__ import annotations

import typing
from datetime import datetime
from typing import Any

import msgspec

from .data_export import DataExport
from .errors import ErrorCode, ParleyError
from .events import Event
from .models import ChatState, ChatStateDelta, ConversationSummary, Message, User
from .moderation import (
    AuditEntry,
    ModerationStats,
    ReviewItem,
    ReviewSource,
    ReviewState,
    VoteChoice,
)

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = (1,)
MAX_FRAME_BYTES = 64 * 1024

RequestId = int | str


class _Frame(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag_field="type"):
    pass


# --- client -> server -------------------------------------------------------------


class Hello(_Frame, tag="hello"):
    """First frame of a connection: the protocol versions the client speaks."""

    id: RequestId
    versions: list[int]
    client: str = ""


class Register(_Frame, tag="register"):
    id: RequestId
    username: str
    password: str
    display_name: str | None = None
    device: str = ""


class Login(_Frame, tag="login"):
    id: RequestId
    username: str
    password: str
    device: str = ""


class Authenticate(_Frame, tag="authenticate"):
    """Resume a session with a token from an earlier ``session`` reply."""

    id: RequestId
    token: str


class Logout(_Frame, tag="logout"):
    """Revoke this connection's session token everywhere."""

    id: RequestId


class Subscribe(_Frame, tag="subscribe"):
    """Start the chat-state stream; ``since`` is the last sequence the client applied."""

    id: RequestId
    since: int | None = None


class GetChatState(_Frame, tag="get_chat_state"):
    """Ask for a fresh snapshot (after a delta whose base the client does not have)."""

    id: RequestId


class Send(_Frame, tag="send"):
    id: RequestId
    client_message_id: str
    to: int
    text: str
    message_type: int = 0
    payload: str | None = None


class MarkRead(_Frame, tag="mark_read"):
    id: RequestId
    conversation_id: str
    up_to: int | None = None


class DeleteMessage(_Frame, tag="delete_message"):
    id: RequestId
    message_id: int
    for_everyone: bool = False


class SetPinned(_Frame, tag="set_pinned"):
    id: RequestId
    conversation_id: str
    pinned: bool


class SetArchived(_Frame, tag="set_archived"):
    id: RequestId
    conversation_id: str
    archived: bool


class SetHidden(_Frame, tag="set_hidden"):
    id: RequestId
    conversation_id: str
    hidden: bool


class BlockUser(_Frame, tag="block_user"):
    id: RequestId
    user_id: int
    blocked: bool = True


class FlagMessage(_Frame, tag="flag_message"):
    id: RequestId
    message_id: int
    reason: str


class History(_Frame, tag="history"):
    """A page of a conversation, newest first, strictly before ``before`` when given."""

    id: RequestId
    conversation_id: str
    before: int | None = None
    limit: int = 50


class FindUsers(_Frame, tag="find_users"):
    id: RequestId
    query: str
    limit: int = 20


class Ping(_Frame, tag="ping"):
    id: RequestId


class SetPreModeration(_Frame, tag="set_premoderation"):
    """Moderators: release (approved) or reject a first message held for pre-moderation."""

    id: RequestId
    message_id: int
    approved: bool
    reason: str = ""


class SetSendingBlocked(_Frame, tag="set_sending_blocked"):
    """Moderators: stop or allow a user's sending (raises SendingBlockedForUser)."""

    id: RequestId
    user_id: int
    blocked: bool
    reason: str = ""


class ExportMyData(_Frame, tag="export_my_data"):
    """The user's right of access: everything they sent and received, as one document.

    ``time_zone`` (an IANA name such as ``Europe/Paris``) is recorded in the export for
    readers that show local times.
    """

    id: RequestId
    time_zone: str | None = None


# --- moderators (docs/protocol.md, "Moderator API") -------------------------------


class ReviewQueueList(_Frame, tag="review_queue_list"):
    """Moderators: review items by priority (highest first), then oldest first."""

    id: RequestId
    state: ReviewState = ReviewState.OPEN
    source: ReviewSource | None = None
    category: str | None = None
    min_priority: int = 0
    limit: int = 50


class ClaimReviewItem(_Frame, tag="claim_review_item"):
    """Moderators: take a lease on an item (``item_id``), or on the next one to review."""

    id: RequestId
    item_id: int | None = None
    source: ReviewSource | None = None
    category: str | None = None


class CastReviewVote(_Frame, tag="review_vote"):
    """Moderators: vote on a claimed item; the majority of ``votes_needed`` decides."""

    id: RequestId
    item_id: int
    choice: VoteChoice
    category: str | None = None


class AuditLogList(_Frame, tag="audit_log_list"):
    """Moderators: the audit log, newest first, before an entry id when given."""

    id: RequestId
    actor_id: int | None = None
    before: int | None = None
    limit: int = 50


class GetModerationStats(_Frame, tag="get_moderation_stats"):
    """Moderators: quality against human review, decision latency and queue depth."""

    id: RequestId


ClientFrame = (
    Hello
    | Register
    | Login
    | Authenticate
    | Logout
    | Subscribe
    | GetChatState
    | Send
    | MarkRead
    | DeleteMessage
    | SetPinned
    | SetArchived
    | SetHidden
    | BlockUser
    | FlagMessage
    | History
    | FindUsers
    | Ping
    | SetPreModeration
    | SetSendingBlocked
    | ExportMyData
    | ReviewQueueList
    | ClaimReviewItem
    | CastReviewVote
    | AuditLogList
    | GetModerationStats
)

CLIENT_FRAME_TYPES: dict[str, type[Any]] = {
    cls.__struct_config__.tag: cls for cls in typing.get_args(ClientFrame)
}


# --- server -> client -------------------------------------------------------------


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    max_text_length: int
    max_frame_bytes: int
    max_history_page: int
    messages_per_minute: int


class Welcome(_Frame, tag="welcome"):
    id: RequestId
    protocol: int
    server: str
    limits: Limits


class Ok(_Frame, tag="ok"):
    id: RequestId


class Pong(_Frame, tag="pong"):
    id: RequestId


class Error(_Frame, tag="error"):
    """A refused request (``id`` set) or a frame that could not be read (``id`` null)."""

    id: RequestId | None
    code: ErrorCode
    message: str


class Session(_Frame, tag="session"):
    id: RequestId
    user: User
    expires_at: datetime
    token: str | None = None  # only on register and login; authenticate echoes none


class Subscribed(_Frame, tag="subscribed"):
    """Reply to subscribe; ``replayed`` events follow, then a ``chat_state`` snapshot.

    ``resumed`` is false when the gap since ``since`` was too large (or unknown): the
    client must then reload any open history, as events were not replayed.
    """

    id: RequestId
    resumed: bool
    replayed: int


class Sent(_Frame, tag="sent"):
    """Acknowledges a send, only after it is committed."""

    id: RequestId
    message: Message
    first: bool
    duplicate: bool


class HistoryPage(_Frame, tag="history_page"):
    id: RequestId
    conversation_id: str
    messages: list[Message]  # newest first
    has_more: bool


class Users(_Frame, tag="users"):
    id: RequestId
    users: list[User]


class ChatStateSnapshot(_Frame, tag="chat_state"):
    """The whole chat state; ``id`` is set when it answers get_chat_state."""

    state: ChatState
    id: RequestId | None = None


class ChatStateDeltaFrame(_Frame, tag="chat_state_delta"):
    """Changed conversations; apply only on top of ``delta.base_version``."""

    delta: ChatStateDelta


class EventFrame(_Frame, tag="event"):
    """One event of the user's sequence (live, or replayed after subscribe)."""

    seq: int
    event: Event


class DataExportFrame(_Frame, tag="data_export"):
    """Reply to export_my_data; may be far larger than requests are allowed to be."""

    id: RequestId
    export: DataExport


class ReviewQueue(_Frame, tag="review_queue"):
    id: RequestId
    items: list[ReviewItem]


class ReviewItemFrame(_Frame, tag="review_item"):
    """Reply to claim_review_item and review_vote: the item as it now stands."""

    id: RequestId
    item: ReviewItem


class AuditLog(_Frame, tag="audit_log"):
    id: RequestId
    entries: list[AuditEntry]


class ModerationStatsFrame(_Frame, tag="moderation_stats"):
    id: RequestId
    stats: ModerationStats


ServerFrame = (
    Welcome
    | Ok
    | Pong
    | Error
    | Session
    | Subscribed
    | Sent
    | HistoryPage
    | Users
    | ChatStateSnapshot
    | ChatStateDeltaFrame
    | EventFrame
    | DataExportFrame
    | ReviewQueue
    | ReviewItemFrame
    | AuditLog
    | ModerationStatsFrame
)


# --- codec ------------------------------------------------------------------------

_encoder = msgspec.json.Encoder()
_client_decoder: msgspec.json.Decoder[ClientFrame] = msgspec.json.Decoder(ClientFrame)
_server_decoder: msgspec.json.Decoder[ServerFrame] = msgspec.json.Decoder(ServerFrame)
_raw_decoder = msgspec.json.Decoder()


def encode(frame: msgspec.Struct) -> str:
    return _encoder.encode(frame).decode()


def encode_bytes(frame: msgspec.Struct) -> bytes:
    """UTF-8 JSON of a frame, for senders that write text frames from bytes (no copy)."""
    return _encoder.encode(frame)


def decode_client_frame(data: str | bytes, *, max_bytes: int = MAX_FRAME_BYTES) -> ClientFrame:
    """Parse one client frame, or raise ParleyError with the code the server answers."""
    if isinstance(data, bytes):
        raise ParleyError(ErrorCode.BAD_FRAME, "Frames are JSON text, not binary.")
    if len(data) > max_bytes:
        raise ParleyError(ErrorCode.FRAME_TOO_LARGE, f"Frames are limited to {max_bytes} bytes.")
    try:
        return _client_decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise _classify(data, exc) from None
    except msgspec.DecodeError:
        raise ParleyError(ErrorCode.BAD_FRAME, "The frame is not valid JSON.") from None


def request_id_of(data: str | bytes) -> RequestId | None:
    """Best-effort request id of a rejected frame, so the error reaches the right caller."""
    try:
        raw = _raw_decoder.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    if isinstance(raw, dict):
        rid = raw.get("id")
        if isinstance(rid, int | str) and not isinstance(rid, bool):
            return rid
    return None


def _classify(data: str, exc: msgspec.ValidationError) -> ParleyError:
    raw = _raw_decoder.decode(data)
    if not isinstance(raw, dict):
        return ParleyError(ErrorCode.BAD_FRAME, "A frame is a JSON object.")
    kind = raw.get("type")
    if kind is None:
        return ParleyError(ErrorCode.INVALID_FIELD, "The frame has no 'type' field.")
    if kind not in CLIENT_FRAME_TYPES:
        return ParleyError(ErrorCode.UNKNOWN_TYPE, f"Unknown frame type {kind!r}.")
    return ParleyError(ErrorCode.INVALID_FIELD, f"Invalid '{kind}' frame: {exc}.")


def decode_server_frame(data: str | bytes) -> ServerFrame:
    """Parse a server frame (the client's side); raises msgspec errors on bad input."""
    return _server_decoder.decode(data)


__all__ = [
    "CLIENT_FRAME_TYPES",
    "MAX_FRAME_BYTES",
    "PROTOCOL_VERSION",
    "SUPPORTED_VERSIONS",
    "ChatState",
    "ClientFrame",
    "ConversationSummary",
    "ServerFrame",
    "decode_client_frame",
    "decode_server_frame",
    "encode",
    "encode_bytes",
    "request_id_of",
]
