"""The embedded default backend: :class:`~parley.server.store.interface.Store` on SQLite.

This module only routes: each write operation becomes a named interaction for the
group-committing writer (``sqlite_engine``), whose SQL lives in ``sqlite_procedures``;
each read runs on a reader connection with its SQL in ``sqlite_queries``. The schema is
``sql/sqlite/V###__*.sql``, applied by ``migrations`` when the store opens.

A database path of ``:memory:`` gives a private in-memory database for quick tests;
having one connection, it sends reads through the writer too.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from parley.shared.errors import StorageUnavailable
from parley.shared.models import (
    ChatState,
    Message,
    ModerationStatus,
    PreModerationStatus,
    Role,
    User,
)

from . import sqlite_procedures as procedures
from . import sqlite_queries as queries
from .interface import (
    Credentials,
    EventLogPage,
    EventsPage,
    HistoryPage,
    SendOutcome,
    SessionInfo,
    StateSlice,
    WriteResult,
)
from .migrations import migrate
from .sqlite_engine import (
    Checkpointer,
    GroupCommitWriter,
    Interaction,
    ReaderPool,
    Synchronous,
    connect,
    is_environment_error,
    storage_unavailable,
)
from .sqlite_moderation import SqliteModerationStore
from .sqlite_rows import now_micros, to_micros

log = logging.getLogger(__name__)

T = TypeVar("T")

MEMORY = ":memory:"


class SqliteStore(SqliteModerationStore):
    """Parley's store on one SQLite file (WAL, one group-committing writer, N readers)."""

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: Synchronous = Synchronous.FULL,
        readers: int = 2,
    ) -> None:
        self.path = str(path)
        self.synchronous = synchronous
        self._reader_count = max(1, readers)
        self._writer: GroupCommitWriter | None = None
        self._readers: ReaderPool | None = None
        self._checkpointer: Checkpointer | None = None
        self._write_conn: sqlite3.Connection | None = None

    @property
    def in_memory(self) -> bool:
        return self.path == MEMORY

    @property
    def writer(self) -> GroupCommitWriter:
        """The writer, for statistics (committed batches and writes)."""
        if self._writer is None:
            raise StorageUnavailable("The store is not open.")
        return self._writer

    @property
    def checkpointer(self) -> Checkpointer | None:
        """The WAL checkpoint thread (None in memory or when closed), for statistics."""
        return self._checkpointer

    # --- lifecycle -----------------------------------------------------------------
    async def open(self) -> None:
        if self._writer is not None:
            return
        conn = await asyncio.to_thread(self._open_writer_connection)
        self._write_conn = conn
        self._writer = GroupCommitWriter(conn)
        self._writer.start()
        if not self.in_memory:
            self._readers = ReaderPool(self._open_reader_connection, self._reader_count)
            self._checkpointer = Checkpointer(self._open_checkpoint_connection, interval=0.5)
            self._checkpointer.start()

    def _open_writer_connection(self) -> sqlite3.Connection:
        if not self.in_memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = connect(self.path, synchronous=self.synchronous)
        try:
            if not self.in_memory:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StorageUnavailable(
                        f"The database {self.path} cannot use write-ahead logging ({mode})."
                    )
                conn.execute("PRAGMA wal_autocheckpoint = 0")  # the Checkpointer's job
            applied = migrate(conn)
            if applied:
                log.info("database %s migrated to version %d", self.path, applied[-1])
        except sqlite3.Error as exc:
            conn.close()
            if is_environment_error(exc):
                raise storage_unavailable(exc) from exc
            raise
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_reader_connection(self) -> sqlite3.Connection:
        return connect(self.path, synchronous=self.synchronous, readonly=True)

    def _open_checkpoint_connection(self) -> sqlite3.Connection:
        return connect(self.path, synchronous=self.synchronous)

    async def close(self) -> None:
        writer, readers, conn = self._writer, self._readers, self._write_conn
        checkpointer = self._checkpointer
        self._writer = self._readers = self._write_conn = self._checkpointer = None
        if checkpointer is not None:
            await checkpointer.stop()
        if readers is not None:
            await readers.stop()
        if writer is not None:
            await writer.stop()
        if conn is not None:
            conn.close()

    async def _write(self, name: str, fn: Interaction[T]) -> T:
        return await self.writer.run(name, fn)

    async def _read(self, name: str, fn: Interaction[T]) -> T:
        if self._readers is not None:
            return await self._readers.run(name, fn)
        return await self.writer.run(name, fn)

    # --- accounts ------------------------------------------------------------------
    async def create_user(
        self, *, username: str, display_name: str, password_hash: str, role: Role
    ) -> User:
        now = now_micros()
        return await self._write(
            "CreateUser",
            lambda conn: procedures.create_user(
                conn,
                username=username,
                display_name=display_name,
                password_hash=password_hash,
                role=role,
                now_us=now,
            ),
        )

    async def get_credentials(self, username: str) -> Credentials | None:
        return await self._read("GetCredentials", lambda c: queries.get_credentials(c, username))

    async def get_user(self, user_id: int) -> User | None:
        return await self._read("GetUser", lambda conn: queries.get_user(conn, user_id))

    async def set_user_role(self, user_id: int, role: Role) -> User:
        return await self._write(
            "SetUserRole", lambda conn: procedures.set_user_role(conn, user_id=user_id, role=role)
        )

    async def find_users(self, query: str, *, limit: int, exclude_user_id: int) -> list[User]:
        return await self._read(
            "FindUsers", lambda conn: queries.find_users(conn, query, limit, exclude_user_id)
        )

    async def create_session(
        self, *, user_id: int, token_hash: str, expires_at: datetime, device: str
    ) -> None:
        now, expires = now_micros(), to_micros(expires_at)
        await self._write(
            "CreateSession",
            lambda conn: procedures.create_session(
                conn,
                user_id=user_id,
                token_hash=token_hash,
                expires_us=expires,
                device=device,
                now_us=now,
            ),
        )

    async def get_session(self, token_hash: str, *, now: datetime) -> SessionInfo | None:
        return await self._read(
            "GetSession", lambda conn: queries.get_session(conn, token_hash, now)
        )

    async def revoke_session(self, token_hash: str) -> None:
        await self._write(
            "RevokeSession", lambda conn: procedures.revoke_session(conn, token_hash=token_hash)
        )

    # --- messaging -----------------------------------------------------------------
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
        now, sent = now_micros(), to_micros(sent_at)
        return await self._write(
            "SendMessage",
            lambda conn: procedures.send_message(
                conn,
                sender_id=sender_id,
                receiver_id=receiver_id,
                text=text,
                sent_us=sent,
                premoderate_first=premoderate_first,
                client_message_id=client_message_id,
                message_type=message_type,
                payload=payload,
                now_us=now,
            ),
        )

    async def mark_conversation_read(
        self, *, user_id: int, conversation_id: str, up_to_message_id: int | None
    ) -> WriteResult:
        now = now_micros()
        return await self._write(
            "MarkConversationRead",
            lambda conn: procedures.mark_conversation_read(
                conn,
                user_id=user_id,
                conversation_id=conversation_id,
                up_to_message_id=up_to_message_id,
                now_us=now,
            ),
        )

    async def delete_message(
        self, *, user_id: int, message_id: int, for_everyone: bool
    ) -> WriteResult:
        now = now_micros()
        return await self._write(
            "DeleteMessage",
            lambda conn: procedures.delete_message(
                conn, user_id=user_id, message_id=message_id, for_everyone=for_everyone, now_us=now
            ),
        )

    async def _set_side_flag(
        self, name: str, flag: procedures.SideFlag, user_id: int, conversation_id: str, value: bool
    ) -> WriteResult:
        now = now_micros()
        return await self._write(
            name,
            lambda conn: procedures.set_side_flag(
                conn,
                flag=flag,
                user_id=user_id,
                conversation_id=conversation_id,
                value=value,
                now_us=now,
            ),
        )

    async def set_conversation_pinned(
        self, *, user_id: int, conversation_id: str, pinned: bool
    ) -> WriteResult:
        return await self._set_side_flag(
            "SetConversationPinned", "Pinned", user_id, conversation_id, pinned
        )

    async def set_conversation_archived(
        self, *, user_id: int, conversation_id: str, archived: bool
    ) -> WriteResult:
        return await self._set_side_flag(
            "SetConversationArchived", "Archived", user_id, conversation_id, archived
        )

    async def set_conversation_hidden(
        self, *, user_id: int, conversation_id: str, hidden: bool
    ) -> WriteResult:
        return await self._set_side_flag(
            "SetConversationHidden", "Hidden", user_id, conversation_id, hidden
        )

    async def set_user_blocked(
        self, *, user_id: int, blocked_user_id: int, blocked: bool
    ) -> WriteResult:
        now = now_micros()
        return await self._write(
            "BlockUser" if blocked else "UnblockUser",
            lambda conn: procedures.set_user_blocked(
                conn, user_id=user_id, blocked_user_id=blocked_user_id, blocked=blocked, now_us=now
            ),
        )

    async def set_sending_blocked(self, *, user_id: int, blocked: bool, reason: str) -> WriteResult:
        now = now_micros()
        return await self._write(
            "SetSendingBlocked",
            lambda conn: procedures.set_sending_blocked(
                conn, user_id=user_id, blocked=blocked, reason=reason, now_us=now
            ),
        )

    async def flag_message(self, *, user_id: int, message_id: int, reason: str) -> int:
        now = now_micros()
        return await self._write(
            "FlagMessage",
            lambda conn: procedures.flag_message(
                conn, user_id=user_id, message_id=message_id, reason=reason, now_us=now
            ),
        )

    async def set_premoderation_status(
        self, *, message_id: int, status: PreModerationStatus, reason: str
    ) -> WriteResult:
        now = now_micros()
        return await self._write(
            "SetPreModerationStatus",
            lambda conn: procedures.set_premoderation_status(
                conn, message_id=message_id, status=status, reason=reason, now_us=now
            ),
        )

    async def set_moderation_status(
        self, *, message_id: int, status: ModerationStatus, reason: str
    ) -> WriteResult:
        now = now_micros()
        return await self._write(
            "SetMessageModerationStatus",
            lambda conn: procedures.set_moderation_status(
                conn, message_id=message_id, status=status, reason=reason, now_us=now
            ),
        )

    # --- reads ---------------------------------------------------------------------
    async def get_chat_state(self, user_id: int) -> ChatState:
        return await self._read("GetChatState", lambda conn: queries.chat_state_of(conn, user_id))

    async def get_conversations(self, user_id: int, conversation_ids: list[str]) -> StateSlice:
        return await self._read(
            "GetConversations", lambda conn: queries.state_slice(conn, user_id, conversation_ids)
        )

    async def get_history_page(
        self, *, user_id: int, conversation_id: str, before_message_id: int | None, limit: int
    ) -> HistoryPage:
        return await self._read(
            "GetHistoryPage",
            lambda conn: queries.history_page(
                conn,
                user_id=user_id,
                conversation_id=conversation_id,
                before_message_id=before_message_id,
                limit=limit,
            ),
        )

    async def get_message(self, message_id: int) -> Message | None:
        return await self._read("GetMessage", lambda conn: queries.get_message(conn, message_id))

    async def get_events_since(self, user_id: int, seq: int, *, limit: int) -> EventsPage:
        return await self._read(
            "GetEventsSince", lambda conn: queries.events_since(conn, user_id, seq, limit)
        )

    async def get_events_after(self, after: int | None, *, limit: int) -> EventLogPage:
        return await self._read(
            "GetEventsAfter", lambda conn: queries.events_after(conn, after, limit)
        )

    # --- maintenance ---------------------------------------------------------------
    async def archive_messages(self, *, older_than: datetime, batch_size: int) -> int:
        cutoff = to_micros(older_than)
        return await self._write(
            "ArchiveMessages",
            lambda conn: procedures.archive_messages(
                conn, older_than_us=cutoff, batch_size=batch_size
            ),
        )

    async def prune_events(self, *, older_than: datetime) -> int:
        cutoff = to_micros(older_than)
        return await self._write(
            "PruneEvents", lambda conn: procedures.prune_events(conn, older_than_us=cutoff)
        )
