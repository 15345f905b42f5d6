"""The production backend: :class:`~parley.server.store.interface.Store` on SQL Server.

Every operation is one call of its procedure in ``sql/mssql/procedures`` (the table in
``mssql_procedures``): natively compiled for those that touch only the memory-optimized
hot tables, interpreted for those that may reach the disk-based cold table. pyodbc
blocks, so calls run on a thread pool with one pooled connection each, through the one
retry loop of ``mssql_errors``; the rows come back as the same domain objects the SQLite
store builds (``mssql_rows``). The moderation pipeline's operations
(:class:`~parley.server.store.moderation.ModerationStore`) come from the
``mssql_moderation`` mixin, through the same plumbing.

Settings: ``PARLEY_DATABASE_URL`` (forms in ``mssql_url``), and
``PARLEY_MSSQL_DELAYED_DURABILITY=true`` to trade durability for commit latency: the
database is then set to DELAYED_DURABILITY = FORCED, and a crash can lose messages that
were already acknowledged (docs/mssql.md). Off by default: Parley acknowledges only
durable commits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from parley.shared import chat_state
from parley.shared.conversations import other_participant
from parley.shared.errors import ErrorCode, ParleyError, StorageUnavailable
from parley.shared.models import (
    ChatState,
    Message,
    ModerationStatus,
    PreModerationStatus,
    Role,
    SendMessageResult,
    User,
)

from . import mssql_procedures as procs
from .interface import (
    Credentials,
    EventLogPage,
    EventsPage,
    HistoryPage,
    LoggedEvent,
    SendOutcome,
    SessionInfo,
    StateSlice,
    WriteResult,
)
from .mssql_errors import DEFAULT_RETRY, RetryPolicy, run_with_retries
from .mssql_moderation import MssqlModerationStore
from .mssql_pool import Connection, ConnectionPool, connect, import_pyodbc
from .mssql_rows import (
    event_from_row,
    events_from_rows,
    history_message,
    message_from_row,
    py_time,
    sql_time,
    summary_from_row,
    user_from_row,
)
from .mssql_url import odbc_connection_string

log = logging.getLogger(__name__)

T = TypeVar("T")

ResultSets = list[list[Sequence[Any]]]

DELAYED_DURABILITY_ENV = "PARLEY_MSSQL_DELAYED_DURABILITY"
POOL_SIZE_ENV = "PARLEY_MSSQL_POOL_SIZE"


def delayed_durability_from_env(environ: dict[str, str] | None = None) -> bool:
    """Whether PARLEY_MSSQL_DELAYED_DURABILITY asks for it; anything unclear is refused."""
    value = (environ if environ is not None else dict(os.environ)).get(DELAYED_DURABILITY_ENV, "")
    text = value.strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"{DELAYED_DURABILITY_ENV}={value!r} is not true or false.")


def _now() -> str:
    return sql_time(datetime.now(UTC))


def _result_sets(cursor: Any) -> ResultSets:
    """Every result set of a call, skipping the row-count-only ones."""
    sets: ResultSets = []
    while True:
        if cursor.description is not None:
            sets.append(list(cursor.fetchall()))
        if not cursor.nextset():
            return sets


class MssqlStore(MssqlModerationStore):
    """Parley's store on a SQL Server database shared by any number of Parley servers."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int | None = None,
        delayed_durability: bool | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        apply_migrations: bool = True,
    ) -> None:
        odbc_connection_string(url)  # a malformed URL is refused now, not at first use
        self.url = url
        self.pool_size = pool_size or int(os.environ.get(POOL_SIZE_ENV, "8"))
        self.delayed_durability = (
            delayed_durability_from_env() if delayed_durability is None else delayed_durability
        )
        self._retry = retry
        self._apply_migrations = apply_migrations
        self._pool: ConnectionPool | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._driver_error: type[BaseException] = Exception

    # --- lifecycle -------------------------------------------------------------------
    async def open(self) -> None:
        pyodbc = import_pyodbc()
        self._driver_error = pyodbc.Error
        self._pool = ConnectionPool(partial(connect, self.url), self.pool_size)
        self._executor = ThreadPoolExecutor(self.pool_size, thread_name_prefix="parley-mssql")
        try:
            await self._run(self._prepare)
        except BaseException:
            await self.close()
            raise

    def _prepare(self, conn: Connection) -> None:
        """Migrate, then set the database's durability to what the settings ask."""
        from .mssql_migrations import apply

        cursor = conn.cursor()
        if self._apply_migrations:
            applied = apply(cursor)
            if applied:
                log.info("SQL Server schema upgraded: %s", ", ".join(applied))
        row = cursor.execute(
            "SELECT delayed_durability_desc FROM sys.databases WHERE database_id = DB_ID()"
        ).fetchone()
        current = str(row[0]).upper() if row is not None else "DISABLED"
        # ALLOWED leaves each transaction to choose, and every procedure chooses OFF: only
        # FORCED makes Parley's commits delayed, so only FORCED is set or undone here.
        wanted = "FORCED" if self.delayed_durability else current.replace("FORCED", "DISABLED")
        if current != wanted:
            log.warning("setting the database's DELAYED_DURABILITY to %s", wanted)
            cursor.execute(f"ALTER DATABASE CURRENT SET DELAYED_DURABILITY = {wanted};")

    async def close(self) -> None:
        if self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.get_running_loop().run_in_executor(None, executor.shutdown)
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # --- plumbing --------------------------------------------------------------------
    async def _run(self, work: Callable[[Connection], T]) -> T:
        if self._executor is None or self._pool is None:
            raise StorageUnavailable("The store is not open.")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._run_sync, work)

    def _run_sync(self, work: Callable[[Connection], T]) -> T:
        pool = self._pool
        if pool is None:
            raise StorageUnavailable("The store is closed.")
        held: list[Connection] = []

        def attempt() -> T:
            if not held:
                held.append(pool.acquire())
            return work(held[0])

        def reconnect() -> None:
            if held:
                pool.discard(held.pop())

        try:
            return run_with_retries(
                attempt,
                is_driver_error=lambda exc: isinstance(exc, self._driver_error),
                on_reconnect=reconnect,
                policy=self._retry,
            )
        except ParleyError:
            raise  # a procedure refused: it rolled its transaction back, the connection is fine
        except BaseException:
            # A bug or an unknown failure may leave a transaction open on the connection;
            # the next caller must not inherit it.
            reconnect()
            raise
        finally:
            if held:
                pool.release(held.pop())

    async def _call(self, procedure: procs.Procedure, *args: Any) -> ResultSets:
        batch, values = procedure.bind(args)

        def work(conn: Connection) -> ResultSets:
            cursor = conn.cursor()
            try:
                cursor.execute(batch, *values)
                return _result_sets(cursor)
            finally:
                cursor.close()

        return await self._run(work)

    async def _write(self, procedure: procs.Procedure, *args: Any) -> WriteResult:
        sets = await self._call(procedure, *args)
        return WriteResult(events=events_from_rows(sets[0]) if sets else [])

    # --- accounts --------------------------------------------------------------------
    async def create_user(
        self, *, username: str, display_name: str, password_hash: str, role: Role
    ) -> User:
        try:
            sets = await self._call(
                procs.CREATE_USER,
                username,
                username.casefold(),
                display_name,
                display_name.casefold(),
                password_hash,
                role.value,
                _now(),
            )
        except Exception as exc:
            # Two creators raced past the existence check: the unique index decides.
            if type(exc).__name__ == "IntegrityError":
                raise ParleyError(
                    ErrorCode.USERNAME_TAKEN, f"The name {username!r} is taken; choose another."
                ) from None
            raise
        return user_from_row(sets[0][0])

    async def get_credentials(self, username: str) -> Credentials | None:
        sets = await self._call(procs.GET_CREDENTIALS, username.casefold())
        if not sets or not sets[0]:
            return None
        row = sets[0][0]
        return Credentials(
            user=user_from_row(row), password_hash=row[4], sending_blocked=bool(row[5])
        )

    async def get_user(self, user_id: int) -> User | None:
        sets = await self._call(procs.GET_USER, user_id)
        return user_from_row(sets[0][0]) if sets and sets[0] else None

    async def set_user_role(self, user_id: int, role: Role) -> User:
        sets = await self._call(procs.SET_USER_ROLE, user_id, role.value)
        return user_from_row(sets[0][0])

    async def find_users(self, query: str, *, limit: int, exclude_user_id: int) -> list[User]:
        prefix = query.strip().casefold()
        if not prefix or limit <= 0:
            return []
        sets = await self._call(procs.FIND_USERS, prefix, prefix + "\uffff", exclude_user_id, limit)
        return [user_from_row(row) for row in sets[0]] if sets else []

    async def create_session(
        self, *, user_id: int, token_hash: str, expires_at: datetime, device: str
    ) -> None:
        await self._call(
            procs.CREATE_SESSION, user_id, token_hash, sql_time(expires_at), device, _now()
        )

    async def get_session(self, token_hash: str, *, now: datetime) -> SessionInfo | None:
        sets = await self._call(procs.GET_SESSION, token_hash, sql_time(now))
        if not sets or not sets[0]:
            return None
        row = sets[0][0]
        return SessionInfo(user=user_from_row(row), expires_at=py_time(row[4]))

    async def revoke_session(self, token_hash: str) -> None:
        await self._call(procs.REVOKE_SESSION, token_hash)

    # --- messaging -------------------------------------------------------------------
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
        sets = await self._call(
            procs.SEND_MESSAGE,
            sender_id,
            receiver_id,
            text,
            sql_time(sent_at),
            premoderate_first,
            client_message_id,
            message_type,
            payload,
            _now(),
        )
        conversation, message_id, is_first, status, duplicate = sets[-1][0]
        if duplicate:
            first = await self.get_message(int(message_id))
            if first is None:
                raise RuntimeError(f"message {message_id} of an idempotency record is missing")
            result = SendMessageResult(message=first, is_first=bool(is_first), duplicate=True)
            return SendOutcome(result=result, events=[])
        events = events_from_rows(sets[0]) if len(sets) > 1 else []
        message = Message(
            id=int(message_id),
            conversation_id=str(conversation),
            sender_id=sender_id,
            receiver_id=receiver_id,
            text=text,
            sent_at=py_time(sql_time(sent_at)),
            client_message_id=client_message_id,
            message_type=message_type,
            payload=payload,
            premoderation_status=PreModerationStatus(int(status)),
        )
        return SendOutcome(
            result=SendMessageResult(message=message, is_first=bool(is_first)), events=events
        )

    async def mark_conversation_read(
        self, *, user_id: int, conversation_id: str, up_to_message_id: int | None
    ) -> WriteResult:
        other_participant(conversation_id, user_id)
        return await self._write(
            procs.MARK_CONVERSATION_READ, user_id, conversation_id, up_to_message_id, _now()
        )

    async def delete_message(
        self, *, user_id: int, message_id: int, for_everyone: bool
    ) -> WriteResult:
        return await self._write(procs.DELETE_MESSAGE, user_id, message_id, for_everyone, _now())

    async def set_conversation_pinned(
        self, *, user_id: int, conversation_id: str, pinned: bool
    ) -> WriteResult:
        other_participant(conversation_id, user_id)
        return await self._write(
            procs.SET_CONVERSATION_PINNED, user_id, conversation_id, pinned, _now()
        )

    async def set_conversation_archived(
        self, *, user_id: int, conversation_id: str, archived: bool
    ) -> WriteResult:
        other_participant(conversation_id, user_id)
        return await self._write(
            procs.SET_CONVERSATION_ARCHIVED, user_id, conversation_id, archived, _now()
        )

    async def set_conversation_hidden(
        self, *, user_id: int, conversation_id: str, hidden: bool
    ) -> WriteResult:
        other_participant(conversation_id, user_id)
        return await self._write(
            procs.SET_CONVERSATION_HIDDEN, user_id, conversation_id, hidden, _now()
        )

    async def set_user_blocked(
        self, *, user_id: int, blocked_user_id: int, blocked: bool
    ) -> WriteResult:
        return await self._write(procs.SET_USER_BLOCKED, user_id, blocked_user_id, blocked, _now())

    async def set_sending_blocked(self, *, user_id: int, blocked: bool, reason: str) -> WriteResult:
        return await self._write(procs.SET_SENDING_BLOCKED, user_id, blocked, reason, _now())

    async def flag_message(self, *, user_id: int, message_id: int, reason: str) -> int:
        sets = await self._call(procs.FLAG_MESSAGE, user_id, message_id, reason, _now())
        return int(sets[0][0][0])

    async def set_premoderation_status(
        self, *, message_id: int, status: PreModerationStatus, reason: str
    ) -> WriteResult:
        return await self._write(
            procs.SET_PREMODERATION_STATUS, message_id, int(status), reason, _now()
        )

    async def set_moderation_status(
        self, *, message_id: int, status: ModerationStatus, reason: str
    ) -> WriteResult:
        return await self._write(
            procs.SET_MODERATION_STATUS, message_id, int(status), reason, _now()
        )

    # --- reads -----------------------------------------------------------------------
    async def get_chat_state(self, user_id: int) -> ChatState:
        sets = await self._call(procs.GET_CHAT_STATE, user_id)
        version, sending_blocked = sets[0][0]
        sides = [summary_from_row(row) for row in sets[1]] if len(sets) > 1 else []
        return chat_state.build_state(int(version), sides, sending_blocked=bool(sending_blocked))

    async def get_conversations(self, user_id: int, conversation_ids: list[str]) -> StateSlice:
        wanted = list(dict.fromkeys(conversation_ids))
        sets = await self._call(procs.GET_CONVERSATIONS, user_id, json.dumps(wanted))
        version, sending_blocked, total = sets[0][0]
        sides = [summary_from_row(row) for row in sets[1]] if len(sets) > 1 else []
        return StateSlice(
            version=int(version),
            conversations=chat_state.ordered(sides),
            total_unread=int(total),
            sending_blocked=bool(sending_blocked),
        )

    async def get_history_page(
        self, *, user_id: int, conversation_id: str, before_message_id: int | None, limit: int
    ) -> HistoryPage:
        other_participant(conversation_id, user_id)  # NOT_FOUND for strangers
        if limit <= 0:
            raise ParleyError(ErrorCode.INVALID_FIELD, "A history page needs a positive size.")
        sets = await self._call(
            procs.GET_HISTORY_PAGE, user_id, conversation_id, before_message_id, limit + 1
        )
        rows = sets[0] if sets else []
        return HistoryPage(
            messages=[history_message(row) for row in rows[:limit]], has_more=len(rows) > limit
        )

    async def get_message(self, message_id: int) -> Message | None:
        sets = await self._call(procs.GET_MESSAGE, message_id)
        return message_from_row(sets[0][0]) if sets and sets[0] else None

    async def get_events_since(self, user_id: int, seq: int, *, limit: int) -> EventsPage:
        sets = await self._call(procs.GET_EVENTS_SINCE, user_id, seq, max(limit, 0))
        last_seq = int(sets[0][0][0]) if sets and sets[0] else 0
        events = [event_from_row((user_id, *row)) for row in sets[1]] if len(sets) > 1 else []
        contiguous = (events[0].seq == seq + 1) if events else seq == last_seq
        complete = contiguous and seq <= last_seq and (not events or events[-1].seq == last_seq)
        return EventsPage(events=events, complete=complete, last_seq=last_seq)

    async def get_events_after(self, after: int | None, *, limit: int) -> EventLogPage:
        # Positions come from an IDENTITY, never reused once handed out: the head only
        # needs reading (a scan of the log's index) when a tail starts.
        sets = await self._call(procs.GET_EVENTS_AFTER, after, max(limit, 0))
        rows = sets[0] if sets else []
        if after is None:
            return EventLogPage(events=[], head=int(rows[0][0]) if rows else 0)
        events = [
            LoggedEvent(position=int(row[0]), event=event_from_row(tuple(row)[1:])) for row in rows
        ]
        return EventLogPage(events=events, head=events[-1].position if events else after)

    # --- maintenance -----------------------------------------------------------------
    async def archive_messages(self, *, older_than: datetime, batch_size: int) -> int:
        if batch_size <= 0:
            return 0
        sets = await self._call(procs.ARCHIVE_MESSAGES, sql_time(older_than), batch_size)
        return int(sets[-1][0][0])

    async def prune_events(self, *, older_than: datetime) -> int:
        sets = await self._call(procs.PRUNE_EVENTS, sql_time(older_than))
        return int(sets[-1][0][0])
