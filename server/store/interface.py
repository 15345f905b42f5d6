"""The one storage interface; each write mirrors a stored procedure of the seed design.

Handlers never write SQL (Synapse's rule): they call these operations, each of which is
one transaction. A write that changes what a user sees also appends that user's events
(:class:`~parley.shared.events.UserEvent`, numbered in the user's sequence) in the same
transaction and returns them, so the server publishes exactly what was committed and a
reconnecting client can be replayed from the log. SQLite (``sqlite.py``) and SQL Server
(``mssql.py``) implement it; ``tests/server/store/`` is the contract suite run on both.

Errors: domain refusals are :class:`~parley.shared.errors.ParleyError` with a code
(NOT_FOUND for anything the acting user may not see, so strangers learn nothing);
environment failures are :class:`~parley.shared.errors.StorageUnavailable`; anything
else is a bug.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import msgspec

from parley.shared.events import UserEvent
from parley.shared.models import (
    ChatState,
    ConversationSummary,
    Message,
    ModerationStatus,
    PreModerationStatus,
    Role,
    SendMessageResult,
    User,
)


class Credentials(msgspec.Struct, frozen=True, kw_only=True):
    user: User
    password_hash: str
    sending_blocked: bool = False


class SessionInfo(msgspec.Struct, frozen=True, kw_only=True):
    user: User
    expires_at: datetime


class WriteResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a write committed: the events to publish (possibly none)."""

    events: list[UserEvent]


class SendOutcome(msgspec.Struct, frozen=True, kw_only=True):
    result: SendMessageResult
    events: list[UserEvent]  # empty for a duplicate: it was published the first time


class HistoryPage(msgspec.Struct, frozen=True, kw_only=True):
    messages: list[Message]  # newest first, already filtered for the reader and redacted
    has_more: bool


class EventsPage(msgspec.Struct, frozen=True, kw_only=True):
    """Events after a sequence number, or ``complete=False`` when some were pruned."""

    events: list[UserEvent]
    complete: bool
    last_seq: int


class LoggedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A user event with its place in the whole database's event log."""

    position: int  # rises with each event appended, across all users and processes
    event: UserEvent


class EventLogPage(msgspec.Struct, frozen=True, kw_only=True):
    """Events of every user after a log position, in log order.

    ``head`` is the position to read after next: the last event's, else ``after`` (or,
    asked with ``after=None``, the log's current end). Positions are never reused, even
    once pruning has emptied the log.
    """

    events: list[LoggedEvent]
    head: int


class StateSlice(msgspec.Struct, frozen=True, kw_only=True):
    """Some conversations of a user read at one version, for a chat-state delta."""

    version: int
    conversations: list[ConversationSummary]
    total_unread: int
    sending_blocked: bool


class Store(Protocol):
    """Storage operations, named after the procedures they mirror."""

    # --- lifecycle -----------------------------------------------------------------
    async def open(self) -> None:
        """Connect and apply pending migrations (numbered, write-once files in sql/)."""

    async def close(self) -> None: ...

    # --- accounts ------------------------------------------------------------------
    async def create_user(
        self, *, username: str, display_name: str, password_hash: str, role: Role
    ) -> User:
        """CreateUser; USERNAME_TAKEN when the name (case-insensitively) exists."""

    async def get_credentials(self, username: str) -> Credentials | None: ...

    async def get_user(self, user_id: int) -> User | None: ...

    async def set_user_role(self, user_id: int, role: Role) -> User: ...

    async def find_users(self, query: str, *, limit: int, exclude_user_id: int) -> list[User]:
        """FindUsers: prefix match on username or display name, case-insensitive."""

    async def create_session(
        self, *, user_id: int, token_hash: str, expires_at: datetime, device: str
    ) -> None: ...

    async def get_session(self, token_hash: str, *, now: datetime) -> SessionInfo | None:
        """The live session for a token hash; None when unknown, revoked or expired."""

    async def revoke_session(self, token_hash: str) -> None: ...

    # --- messaging (the seed's procedures) -----------------------------------------
    async def send_message(
        self,
        *,
        sender_id: int,
        receiver_id: int,
        text: str,
        sent_at: datetime,
        premoderate_first: bool,
        client_message_id: str,
        message_type: int = 0,
        payload: str | None = None,
    ) -> SendOutcome:
        """SendMessage, with the seed's semantics (see ../shared/ARCHITECTURE.md).

        Idempotent on (sender, client_message_id): a repeat returns the first result
        with ``duplicate=True`` and writes nothing. Refuses with SENDING_BLOCKED when
        the sender is sending-blocked, BLOCKED_BY_RECEIVER when the receiver blocked
        the sender, NOT_FOUND for an unknown receiver.
        """

    async def mark_conversation_read(
        self, *, user_id: int, conversation_id: str, up_to_message_id: int | None
    ) -> WriteResult:
        """MarkConversationRead: received messages up to the id (all when None) are read."""

    async def delete_message(
        self, *, user_id: int, message_id: int, for_everyone: bool
    ) -> WriteResult:
        """DeleteMessage: for me (either participant) or for everyone (the sender only)."""

    async def set_conversation_pinned(
        self, *, user_id: int, conversation_id: str, pinned: bool
    ) -> WriteResult: ...

    async def set_conversation_archived(
        self, *, user_id: int, conversation_id: str, archived: bool
    ) -> WriteResult: ...

    async def set_conversation_hidden(
        self, *, user_id: int, conversation_id: str, hidden: bool
    ) -> WriteResult: ...

    async def set_user_blocked(
        self, *, user_id: int, blocked_user_id: int, blocked: bool
    ) -> WriteResult:
        """BlockUser / UnblockUser: the blocked user can no longer send to this one."""

    async def set_sending_blocked(self, *, user_id: int, blocked: bool, reason: str) -> WriteResult:
        """SetSendingBlocked (moderators): raises SendingBlockedForUser."""

    async def flag_message(self, *, user_id: int, message_id: int, reason: str) -> int:
        """FlagMessage by a participant who can see it; returns how many flags it now has."""

    async def set_premoderation_status(
        self, *, message_id: int, status: PreModerationStatus, reason: str
    ) -> WriteResult:
        """SetPreModerationStatus: approving reveals a held first message to the receiver."""

    async def set_moderation_status(
        self, *, message_id: int, status: ModerationStatus, reason: str
    ) -> WriteResult:
        """SetMessageModerationStatus: raises MessageModerationStatusChanged to both users."""

    # --- reads ---------------------------------------------------------------------
    async def get_chat_state(self, user_id: int) -> ChatState:
        """GetChatState: every side of the user, ordered, at the user's current sequence."""

    async def get_conversations(self, user_id: int, conversation_ids: list[str]) -> StateSlice:
        """The named sides of a user, read in one transaction with the user's sequence."""

    async def get_history_page(
        self, *, user_id: int, conversation_id: str, before_message_id: int | None, limit: int
    ) -> HistoryPage:
        """History across hot and cold tables, as the reader may see it."""

    async def get_message(self, message_id: int) -> Message | None: ...

    async def get_events_since(self, user_id: int, seq: int, *, limit: int) -> EventsPage: ...

    async def get_events_after(self, after: int | None, *, limit: int) -> EventLogPage:
        """GetEventsAfter: up to ``limit`` events of any user after a log position.

        How a server hears of events other processes committed (``event_tail``).
        ``after=None`` returns no events, only the log's current end to start from.
        Positions rise in commit order on SQLite (one writer); on SQL Server they are
        handed out before commit, so one may appear after a higher one was read.
        """

    # --- maintenance ---------------------------------------------------------------
    async def archive_messages(self, *, older_than: datetime, batch_size: int) -> int:
        """ArchiveMessages: move a batch of decided hot messages older than a time to cold.

        Messages the moderation worker has not decided yet (unspecified, or a held first
        message still pending) stay hot, where the worker's queue reads them. The count.
        """

    async def prune_events(self, *, older_than: datetime) -> int:
        """Drop sequence-log entries older than a time (a resume past them gets a snapshot)."""
