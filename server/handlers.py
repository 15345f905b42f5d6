"""Request handlers: validate with the shared rules, authorize, call the store, reply,
publish.

Each handler is a thin adapter. The rules themselves live in ``parley.shared`` (text
limits, who is in a conversation) and in the store (the seed's procedures); a handler
publishes events only from what the store returned after its commit, and replies only
after that commit, so an ack never precedes durability and nothing half-written is ever
announced. Refusals are :class:`ParleyError`; the read loop in ``app.py`` turns them into
``error`` frames.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

from parley.shared import protocol as p
from parley.shared.conversations import (
    other_participant,
    validate_message_text,
    validate_payload,
)
from parley.shared.data_export import (
    DataExport,
    ExportedConversation,
    ExportedMessage,
    ExportedUser,
)
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.models import PreModerationStatus, Role, User

from .auth import Accounts, may_moderate, token_hash
from .chat_stream import ChatStream
from .connection import Connection
from .event_store import EventStore
from .moderation import api as moderation_api
from .rate_limit import SendLimiter
from .settings import Settings
from .store.interface import Store, WriteResult

SERVER_NAME = "parley/0.1"
MAX_CLIENT_MESSAGE_ID = 64
MAX_REASON_LENGTH = 500
MAX_QUERY_LENGTH = 64


@dataclass
class Services:
    """What every handler may use; one per running server."""

    settings: Settings
    store: Store
    events: EventStore
    accounts: Accounts
    sends: SendLimiter
    # token hash -> connections signed in with it, so logout signs out every one of them
    sessions: dict[str, set[Connection]] = field(default_factory=dict)

    def limits(self) -> p.Limits:
        return p.Limits(
            max_text_length=self.settings.max_text_length,
            max_frame_bytes=p.MAX_FRAME_BYTES,
            max_history_page=self.settings.max_history_page,
            messages_per_minute=self.settings.messages_per_minute,
        )

    def publish(self, result: WriteResult) -> None:
        self.events.publish(result.events)


Handler = Callable[[Services, Connection, Any], Awaitable[None]]

# Frames a connection may send before signing in (after hello).
PUBLIC_TYPES = frozenset({p.Hello, p.Register, p.Login, p.Authenticate, p.Ping})
MODERATOR_TYPES = frozenset(
    {
        p.SetPreModeration,
        p.SetSendingBlocked,
        p.ReviewQueueList,
        p.ClaimReviewItem,
        p.CastReviewVote,
        p.AuditLogList,
        p.GetModerationStats,
    }
)


async def dispatch(services: Services, conn: Connection, frame: p.ClientFrame) -> None:
    """Check the connection's standing for this frame type, then run its handler."""
    kind = type(frame)
    if not conn.greeted and kind is not p.Hello:
        raise ParleyError(ErrorCode.HELLO_REQUIRED, "Send 'hello' first.")
    if kind not in PUBLIC_TYPES:
        if conn.user is None:
            raise ParleyError(ErrorCode.NOT_AUTHENTICATED, "Log in or authenticate first.")
        if not conn.session_live:
            _sign_out(services, conn)
            raise ParleyError(ErrorCode.SESSION_EXPIRED, "The session has expired; log in.")
        if kind in MODERATOR_TYPES and not may_moderate(conn.user):
            raise ParleyError(ErrorCode.FORBIDDEN, "Only moderators may do this.")
    await HANDLERS[kind](services, conn, frame)


def _me(conn: Connection) -> User:
    assert conn.user is not None  # dispatch checked it
    return conn.user


# --- handshake and accounts -------------------------------------------------------


async def hello(services: Services, conn: Connection, frame: p.Hello) -> None:
    if conn.greeted:
        raise ParleyError(ErrorCode.CONFLICT, "'hello' was already sent on this connection.")
    common = set(frame.versions) & set(p.SUPPORTED_VERSIONS)
    if not common:
        raise ParleyError(
            ErrorCode.UNSUPPORTED_VERSION,
            f"This server speaks protocol versions {list(p.SUPPORTED_VERSIONS)}.",
        )
    conn.greeted = True
    conn.outbox.send(
        p.Welcome(id=frame.id, protocol=max(common), server=SERVER_NAME, limits=services.limits())
    )


def _require_signed_out(conn: Connection) -> None:
    if conn.user is not None:
        raise ParleyError(ErrorCode.CONFLICT, "This connection is signed in; log out first.")


async def _open_session(
    services: Services, conn: Connection, request_id: p.RequestId, user: User, device: str
) -> None:
    token, expires_at = await services.accounts.start_session(user, device=device)
    _sign_in(services, conn, user, token_hash(token), expires_at)
    conn.outbox.send(p.Session(id=request_id, user=user, expires_at=expires_at, token=token))


def _sign_in(
    services: Services, conn: Connection, user: User, hashed: str, expires_at: datetime
) -> None:
    conn.sign_in(user, hashed, expires_at.timestamp())
    services.sessions.setdefault(hashed, set()).add(conn)


def _sign_out(services: Services, conn: Connection) -> None:
    if conn.token_hash is not None:
        same = services.sessions.get(conn.token_hash)
        if same is not None:
            same.discard(conn)
            if not same:
                del services.sessions[conn.token_hash]
    conn.sign_out()


def forget_connection(services: Services, conn: Connection) -> None:
    """Called when a websocket closes: stop its stream, drop it from the session index."""
    _sign_out(services, conn)


async def register(services: Services, conn: Connection, frame: p.Register) -> None:
    _require_signed_out(conn)
    if not services.settings.allow_registration:
        raise ParleyError(ErrorCode.FORBIDDEN, "Registration is closed on this server.")
    user = await services.accounts.create_user(
        username=frame.username,
        password=frame.password,
        display_name=frame.display_name,
        role=Role.USER,
    )
    await _open_session(services, conn, frame.id, user, frame.device)


async def login(services: Services, conn: Connection, frame: p.Login) -> None:
    _require_signed_out(conn)
    user = await services.accounts.verify(frame.username, frame.password)
    await _open_session(services, conn, frame.id, user, frame.device)


async def authenticate(services: Services, conn: Connection, frame: p.Authenticate) -> None:
    _require_signed_out(conn)
    session = await services.accounts.resume(frame.token)
    _sign_in(services, conn, session.user, token_hash(frame.token), session.expires_at)
    conn.outbox.send(p.Session(id=frame.id, user=session.user, expires_at=session.expires_at))


async def logout(services: Services, conn: Connection, frame: p.Logout) -> None:
    hashed = conn.token_hash
    assert hashed is not None
    await services.accounts.revoke(hashed)
    for other in list(services.sessions.get(hashed, ())):
        _sign_out(services, other)
    conn.outbox.send(p.Ok(id=frame.id))


async def ping(services: Services, conn: Connection, frame: p.Ping) -> None:
    conn.outbox.send(p.Pong(id=frame.id))


# --- chat state ---------------------------------------------------------------------


async def subscribe(services: Services, conn: Connection, frame: p.Subscribe) -> None:
    """(Re)start this connection's stream; a second subscribe replaces the first."""
    if frame.since is not None and frame.since < 0:
        raise ParleyError(ErrorCode.INVALID_FIELD, "'since' is a sequence number >= 0.")
    conn.stop_stream()
    stream = ChatStream(
        user_id=_me(conn).id,
        store=services.store,
        push=conn.outbox.push,
        coalesce_s=services.settings.coalesce_ms / 1000.0,
    )
    conn.stream = stream
    try:
        await stream.start(
            services.events,
            request_id=frame.id,
            since=frame.since,
            max_replay=services.settings.max_replay_events,
        )
    except BaseException:
        stream.close()
        if conn.stream is stream:
            conn.stream = None
        raise


async def get_chat_state(services: Services, conn: Connection, frame: p.GetChatState) -> None:
    state = await services.store.get_chat_state(_me(conn).id)
    if conn.stream is not None:
        conn.stream.send_snapshot(state, request_id=frame.id)
    else:
        conn.outbox.send(p.ChatStateSnapshot(state=state, id=frame.id))


# --- messaging ----------------------------------------------------------------------


def _check_length(value: str, name: str, limit: int, *, allow_empty: bool = False) -> None:
    if len(value) > limit or (not allow_empty and not value.strip()):
        least = 0 if allow_empty else 1
        raise ParleyError(ErrorCode.INVALID_FIELD, f"'{name}' has {least} to {limit} characters.")


def _check_page(value: int, name: str, limit: int) -> None:
    if not 1 <= value <= limit:
        raise ParleyError(ErrorCode.INVALID_FIELD, f"'{name}' is between 1 and {limit}.")


async def send(services: Services, conn: Connection, frame: p.Send) -> None:
    me = _me(conn)
    _check_length(frame.client_message_id, "client_message_id", MAX_CLIENT_MESSAGE_ID)
    validate_message_text(frame.text, max_length=services.settings.max_text_length)
    validate_payload(frame.payload)
    if frame.to == me.id:
        raise ParleyError(ErrorCode.SEND_TO_SELF, "You cannot send a message to yourself.")
    if not 0 <= frame.message_type <= 32767:
        raise ParleyError(ErrorCode.INVALID_FIELD, "'message_type' is between 0 and 32767.")
    services.sends.take(me.id)
    outcome = await services.store.send_message(
        sender_id=me.id,
        receiver_id=frame.to,
        text=frame.text,
        sent_at=datetime.now(UTC),
        premoderate_first=services.settings.premoderate_first,
        client_message_id=frame.client_message_id,
        message_type=frame.message_type,
        payload=frame.payload,
    )
    result = outcome.result
    conn.outbox.send(
        p.Sent(
            id=frame.id, message=result.message, first=result.is_first, duplicate=result.duplicate
        )
    )
    services.events.publish(outcome.events)


async def mark_read(services: Services, conn: Connection, frame: p.MarkRead) -> None:
    me = _me(conn)
    other_participant(frame.conversation_id, me.id)
    result = await services.store.mark_conversation_read(
        user_id=me.id, conversation_id=frame.conversation_id, up_to_message_id=frame.up_to
    )
    _ok(services, conn, frame.id, result)


async def delete_message(services: Services, conn: Connection, frame: p.DeleteMessage) -> None:
    result = await services.store.delete_message(
        user_id=_me(conn).id, message_id=frame.message_id, for_everyone=frame.for_everyone
    )
    _ok(services, conn, frame.id, result)


async def set_pinned(services: Services, conn: Connection, frame: p.SetPinned) -> None:
    me = _me(conn)
    other_participant(frame.conversation_id, me.id)
    result = await services.store.set_conversation_pinned(
        user_id=me.id, conversation_id=frame.conversation_id, pinned=frame.pinned
    )
    _ok(services, conn, frame.id, result)


async def set_archived(services: Services, conn: Connection, frame: p.SetArchived) -> None:
    me = _me(conn)
    other_participant(frame.conversation_id, me.id)
    result = await services.store.set_conversation_archived(
        user_id=me.id, conversation_id=frame.conversation_id, archived=frame.archived
    )
    _ok(services, conn, frame.id, result)


async def set_hidden(services: Services, conn: Connection, frame: p.SetHidden) -> None:
    me = _me(conn)
    other_participant(frame.conversation_id, me.id)
    result = await services.store.set_conversation_hidden(
        user_id=me.id, conversation_id=frame.conversation_id, hidden=frame.hidden
    )
    _ok(services, conn, frame.id, result)


async def block_user(services: Services, conn: Connection, frame: p.BlockUser) -> None:
    me = _me(conn)
    if frame.user_id == me.id:
        raise ParleyError(ErrorCode.INVALID_FIELD, "You cannot block yourself.")
    result = await services.store.set_user_blocked(
        user_id=me.id, blocked_user_id=frame.user_id, blocked=frame.blocked
    )
    _ok(services, conn, frame.id, result)


async def history(services: Services, conn: Connection, frame: p.History) -> None:
    me = _me(conn)
    other_participant(frame.conversation_id, me.id)
    _check_page(frame.limit, "limit", services.settings.max_history_page)
    page = await services.store.get_history_page(
        user_id=me.id,
        conversation_id=frame.conversation_id,
        before_message_id=frame.before,
        limit=frame.limit,
    )
    conn.outbox.send(
        p.HistoryPage(
            id=frame.id,
            conversation_id=frame.conversation_id,
            messages=page.messages,
            has_more=page.has_more,
        )
    )


async def find_users(services: Services, conn: Connection, frame: p.FindUsers) -> None:
    _check_length(frame.query, "query", MAX_QUERY_LENGTH)
    _check_page(frame.limit, "limit", services.settings.max_find_users)
    users = await services.store.find_users(
        frame.query.strip(), limit=frame.limit, exclude_user_id=_me(conn).id
    )
    conn.outbox.send(p.Users(id=frame.id, users=users))


# --- moderation ---------------------------------------------------------------------


async def set_premoderation(
    services: Services, conn: Connection, frame: p.SetPreModeration
) -> None:
    _check_length(frame.reason, "reason", MAX_REASON_LENGTH, allow_empty=True)
    status = PreModerationStatus.APPROVED if frame.approved else PreModerationStatus.REJECTED
    result = await services.store.set_premoderation_status(
        message_id=frame.message_id, status=status, reason=frame.reason
    )
    _ok(services, conn, frame.id, result)


async def set_sending_blocked(
    services: Services, conn: Connection, frame: p.SetSendingBlocked
) -> None:
    _check_length(frame.reason, "reason", MAX_REASON_LENGTH, allow_empty=True)
    if await services.store.get_user(frame.user_id) is None:
        raise ParleyError(ErrorCode.NOT_FOUND, f"No user {frame.user_id}.")
    result = await services.store.set_sending_blocked(
        user_id=frame.user_id, blocked=frame.blocked, reason=frame.reason
    )
    _ok(services, conn, frame.id, result)


# --- right of access -------------------------------------------------------------


async def export_my_data(services: Services, conn: Connection, frame: p.ExportMyData) -> None:
    """Every conversation of the user, every message they may see, as one document.

    Read page by page through the same history operation clients use, so the export
    shows exactly what the user could see (held, hidden and deleted-for-me messages
    are left out; deleted-for-everyone ones keep their place without text).
    """
    if frame.time_zone is not None:
        _check_length(frame.time_zone, "time_zone", 64)
    me = _me(conn)
    store = services.store
    state = await store.get_chat_state(me.id)
    conversations = []
    for summary in state.conversations:
        messages = []
        before: int | None = None
        while True:
            page = await store.get_history_page(
                user_id=me.id,
                conversation_id=summary.conversation_id,
                before_message_id=before,
                limit=services.settings.max_history_page,
            )
            messages.extend(page.messages)
            if not page.has_more or not page.messages:
                break
            before = page.messages[-1].id
        messages.reverse()  # oldest first, as a reader reads
        other = summary.other_user
        conversations.append(
            ExportedConversation(
                conversation_id=summary.conversation_id,
                other_user=ExportedUser(
                    id=other.id, username=other.username, display_name=other.display_name
                ),
                created_at=summary.created_at,
                messages=[
                    ExportedMessage(
                        id=m.id,
                        sender_id=m.sender_id,
                        sent_at=m.sent_at,
                        text=m.text,
                        message_type=m.message_type,
                        deleted=m.deleted,
                        has_attachment=m.payload is not None,
                    )
                    for m in messages
                ],
            )
        )
    export = DataExport(
        exported_at=datetime.now(UTC),
        user=ExportedUser(id=me.id, username=me.username, display_name=me.display_name),
        time_zone=frame.time_zone,
        conversations=conversations,
    )
    conn.outbox.send(p.DataExportFrame(id=frame.id, export=export))


def _ok(services: Services, conn: Connection, request_id: p.RequestId, result: WriteResult) -> None:
    """Acknowledge a committed write, then announce it."""
    conn.outbox.send(p.Ok(id=request_id))
    services.publish(result)


HANDLERS: dict[type[msgspec.Struct], Handler] = {
    p.Hello: hello,
    p.Register: register,
    p.Login: login,
    p.Authenticate: authenticate,
    p.Logout: logout,
    p.Ping: ping,
    p.Subscribe: subscribe,
    p.GetChatState: get_chat_state,
    p.Send: send,
    p.MarkRead: mark_read,
    p.DeleteMessage: delete_message,
    p.SetPinned: set_pinned,
    p.SetArchived: set_archived,
    p.SetHidden: set_hidden,
    p.BlockUser: block_user,
    p.FlagMessage: moderation_api.flag_message,  # flags enter the review queue
    p.History: history,
    p.FindUsers: find_users,
    p.SetPreModeration: moderation_api.set_premoderation,  # audited
    p.SetSendingBlocked: moderation_api.set_sending_blocked,  # audited
    p.ExportMyData: export_my_data,
    p.ReviewQueueList: moderation_api.review_queue_list,
    p.ClaimReviewItem: moderation_api.claim_review_item,
    p.CastReviewVote: moderation_api.review_vote,
    p.AuditLogList: moderation_api.audit_log_list,
    p.GetModerationStats: moderation_api.get_moderation_stats,
}
