"""Read transactions of the SQLite store: chat state, history, events, accounts.

Each function takes a connection already inside a read transaction (see
:class:`~parley.server.store.sqlite_engine.ReaderPool`), so everything one function
reads comes from a single commit: a chat state and its version always agree.

Who may see a message is decided by :func:`parley.shared.conversations.visible_to`,
never restated in SQL: candidates are read in index order and filtered in Python, a
loop that normally takes one round.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from parley.shared import chat_state
from parley.shared.conversations import other_participant, redacted, visible_to
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.events import UserEvent
from parley.shared.models import ChatState, ConversationSummary, Message, Role, User

from .interface import (
    Credentials,
    EventLogPage,
    EventsPage,
    HistoryPage,
    LoggedEvent,
    SessionInfo,
    StateSlice,
)
from .sqlite_rows import (
    MESSAGE_COLUMNS,
    MESSAGE_TABLES,
    USER_COLUMNS,
    decode_event,
    from_micros,
    load_message,
    message_from_row,
    to_micros,
    user_from_row,
)

_SCAN_BATCH = 32


def visible_messages(
    conn: sqlite3.Connection,
    *,
    user_id: int,
    conversation_id: str,
    before_message_id: int | None,
    want: int,
) -> list[Message]:
    """Up to ``want`` messages of a conversation the user may see, newest first.

    Hot and cold rows are merged by id, so the caller never knows where a message
    lives; messages the user deleted for themselves are left out.
    """
    found: list[Message] = []
    upper = before_message_id
    batch = max(want, _SCAN_BATCH)
    while len(found) < want:
        bound = "" if upper is None else "AND MessageId < ?"
        params: tuple[object, ...] = (
            (conversation_id, user_id, batch)
            if upper is None
            else (conversation_id, upper, user_id, batch)
        )
        candidates: list[Message] = []
        exhausted = True
        for table in MESSAGE_TABLES:
            rows = conn.execute(
                f"SELECT {MESSAGE_COLUMNS} FROM {table} AS m "
                f"WHERE ConversationId = ? {bound} AND NOT EXISTS ("
                "  SELECT 1 FROM MessageDeletedForUser AS d"
                "  WHERE d.UserId = ? AND d.MessageId = m.MessageId) "
                "ORDER BY MessageId DESC LIMIT ?",
                params,
            ).fetchall()
            candidates.extend(message_from_row(row) for row in rows)
            exhausted = exhausted and len(rows) < batch
        candidates.sort(key=lambda message: message.id, reverse=True)
        if not exhausted:
            # Only the newest `batch` of the merge are certainly contiguous: a table that
            # filled its batch may hold more between them and the next round.
            candidates = candidates[:batch]
        for message in candidates:
            if visible_to(message, user_id):
                found.append(message)
                if len(found) == want:
                    return found
        if exhausted or not candidates:
            break
        upper = candidates[-1].id
    return found


def history_page(
    conn: sqlite3.Connection,
    *,
    user_id: int,
    conversation_id: str,
    before_message_id: int | None,
    limit: int,
) -> HistoryPage:
    other_participant(conversation_id, user_id)  # NOT_FOUND for strangers
    if limit <= 0:
        raise ParleyError(ErrorCode.INVALID_FIELD, "A history page needs a positive size.")
    messages = visible_messages(
        conn,
        user_id=user_id,
        conversation_id=conversation_id,
        before_message_id=before_message_id,
        want=limit + 1,
    )
    return HistoryPage(
        messages=[redacted(message) for message in messages[:limit]],
        has_more=len(messages) > limit,
    )


def preview_message(
    conn: sqlite3.Connection,
    *,
    user_id: int,
    conversation_id: str,
    last: Message | None,
    last_deleted_for_user: bool,
) -> Message | None:
    """The message a side's preview shows: its last message, or the latest one the
    user may see when the last is hidden from them (a held first message, a message
    under review) or deleted for them; None when they may see none."""
    if last is not None and not last_deleted_for_user and visible_to(last, user_id):
        return last
    if last is None:
        return None
    older = visible_messages(
        conn,
        user_id=user_id,
        conversation_id=conversation_id,
        before_message_id=last.id,
        want=1,
    )
    return older[0] if older else None


_PREFIXED_MESSAGE_COLUMNS = ", ".join(f"h.{c}" for c in MESSAGE_COLUMNS.split(", "))

_SIDES = f"""
SELECT uc.ConversationId, uc.SecondUserId, uc.Archived, uc.Pinned, uc.LastMessageId,
       uc.UnreadMessageCount, uc.CreateDate, uc.IsInitiatedByUser, uc.Hidden,
       u.Username, u.DisplayName, u.Role,
       EXISTS (SELECT 1 FROM UserBlock AS b
               WHERE b.UserId = uc.UserId AND b.BlockedUserId = uc.SecondUserId),
       EXISTS (SELECT 1 FROM MessageDeletedForUser AS d
               WHERE d.UserId = uc.UserId AND d.MessageId = uc.LastMessageId),
       {_PREFIXED_MESSAGE_COLUMNS}
FROM UserConversation AS uc
JOIN ChatUser AS u ON u.UserId = uc.SecondUserId
LEFT JOIN ChatMessage AS h ON h.MessageId = uc.LastMessageId
WHERE uc.UserId = ?
"""


def conversation_summaries(
    conn: sqlite3.Connection, user_id: int, conversation_ids: list[str] | None = None
) -> list[ConversationSummary]:
    """The user's sides (all, or the named ones) as the conversation list shows them."""
    sql = _SIDES
    params: list[object] = [user_id]
    if conversation_ids is not None:
        if not conversation_ids:
            return []
        sql += f" AND uc.ConversationId IN ({','.join('?' * len(conversation_ids))})"
        params.extend(conversation_ids)
    summaries: list[ConversationSummary] = []
    for row in conn.execute(sql, params).fetchall():
        conversation_id, last_id = row[0], row[4]
        last: Message | None = None
        if row[14] is not None:
            last = message_from_row(row[14:])
        elif last_id is not None:
            loaded = load_message(conn, last_id)
            last = loaded[0] if loaded else None
        shown = preview_message(
            conn,
            user_id=user_id,
            conversation_id=conversation_id,
            last=last,
            last_deleted_for_user=bool(row[13]),
        )
        summaries.append(
            ConversationSummary(
                conversation_id=conversation_id,
                other_user=User(
                    id=row[1], username=row[9], display_name=row[10], role=Role(row[11])
                ),
                last_message=chat_state.preview_of(shown) if shown is not None else None,
                unread_count=row[5],
                archived=bool(row[2]),
                pinned=bool(row[3]),
                hidden=bool(row[8]),
                initiated_by_user=bool(row[7]),
                blocked=bool(row[12]),
                created_at=from_micros(row[6]),
            )
        )
    return summaries


def _user_state(conn: sqlite3.Connection, user_id: int) -> tuple[int, bool]:
    row = conn.execute(
        "SELECT LastEventSeq, SendingBlocked FROM ChatUser WHERE UserId = ?", (user_id,)
    ).fetchone()
    if row is None:
        raise ParleyError(ErrorCode.NOT_FOUND, f"No user {user_id}.")
    return int(row[0]), bool(row[1])


def chat_state_of(conn: sqlite3.Connection, user_id: int) -> ChatState:
    version, sending_blocked = _user_state(conn, user_id)
    return chat_state.build_state(
        version, conversation_summaries(conn, user_id), sending_blocked=sending_blocked
    )


def state_slice(conn: sqlite3.Connection, user_id: int, conversation_ids: list[str]) -> StateSlice:
    """The named sides with the version, total and block of the same read: one statement
    for the user's totals, one for the sides (the coalescer calls this after events)."""
    row = conn.execute(
        "SELECT LastEventSeq, SendingBlocked, "
        "  (SELECT COALESCE(SUM(UnreadMessageCount), 0) FROM UserConversation "
        "   WHERE UserId = ChatUser.UserId AND Hidden = 0) "
        "FROM ChatUser WHERE UserId = ?",
        (user_id,),
    ).fetchone()
    if row is None:
        raise ParleyError(ErrorCode.NOT_FOUND, f"No user {user_id}.")
    wanted = list(dict.fromkeys(conversation_ids))
    return StateSlice(
        version=int(row[0]),
        conversations=chat_state.ordered(conversation_summaries(conn, user_id, wanted)),
        total_unread=int(row[2]),
        sending_blocked=bool(row[1]),
    )


def events_since(conn: sqlite3.Connection, user_id: int, seq: int, limit: int) -> EventsPage:
    """The user's events after ``seq``.

    ``complete`` is False when the caller cannot be brought up to date from the log
    alone and should get a fresh snapshot instead: events after ``seq`` were pruned,
    more than ``limit`` of them are waiting, or ``seq`` is ahead of the log (a client
    of a database that was reset).
    """
    row = conn.execute("SELECT LastEventSeq FROM ChatUser WHERE UserId = ?", (user_id,)).fetchone()
    last_seq = int(row[0]) if row else 0
    rows = conn.execute(
        "SELECT Seq, Payload FROM UserEvent WHERE UserId = ? AND Seq > ? ORDER BY Seq LIMIT ?",
        (user_id, seq, max(limit, 0)),
    ).fetchall()
    events = [UserEvent(user_id=user_id, seq=s, event=decode_event(p)) for s, p in rows]
    contiguous = (events[0].seq == seq + 1) if events else seq == last_seq
    complete = contiguous and seq <= last_seq and (not events or events[-1].seq == last_seq)
    return EventsPage(events=events, complete=complete, last_seq=last_seq)


def events_after(conn: sqlite3.Connection, after: int | None, limit: int) -> EventLogPage:
    """Every user's events after a log position (the rowid ``EventId``), in log order.

    One writer commits one transaction at a time, so positions appear in commit order
    and a reader never finds a lower one later; AUTOINCREMENT (V003) never reuses one.
    """
    if after is None:
        end = conn.execute("SELECT coalesce(max(EventId), 0) FROM UserEvent").fetchone()[0]
        return EventLogPage(events=[], head=int(end))
    rows = conn.execute(
        "SELECT EventId, UserId, Seq, Payload FROM UserEvent WHERE EventId > ? "
        "ORDER BY EventId LIMIT ?",
        (after, max(limit, 0)),
    ).fetchall()
    events = [
        LoggedEvent(position=i, event=UserEvent(user_id=u, seq=s, event=decode_event(p)))
        for i, u, s, p in rows
    ]
    return EventLogPage(events=events, head=events[-1].position if events else after)


def get_user(conn: sqlite3.Connection, user_id: int) -> User | None:
    row = conn.execute(
        f"SELECT {USER_COLUMNS} FROM ChatUser WHERE UserId = ?", (user_id,)
    ).fetchone()
    return user_from_row(row) if row else None


def get_credentials(conn: sqlite3.Connection, username: str) -> Credentials | None:
    row = conn.execute(
        f"SELECT {USER_COLUMNS}, PasswordHash, SendingBlocked FROM ChatUser "
        "WHERE UsernameFolded = ?",
        (username.casefold(),),
    ).fetchone()
    if row is None:
        return None
    return Credentials(user=user_from_row(row), password_hash=row[4], sending_blocked=bool(row[5]))


def find_users(
    conn: sqlite3.Connection, query: str, limit: int, exclude_user_id: int
) -> list[User]:
    """Prefix match on username or display name; an empty query finds nobody, so the
    user directory cannot be listed wholesale."""
    prefix = query.strip().casefold()
    if not prefix or limit <= 0:
        return []
    end = prefix + "\U0010ffff"
    rows = conn.execute(
        f"SELECT {USER_COLUMNS} FROM ChatUser "
        "WHERE ((UsernameFolded >= ? AND UsernameFolded < ?) "
        "    OR (DisplayNameFolded >= ? AND DisplayNameFolded < ?)) AND UserId <> ? "
        "ORDER BY UsernameFolded LIMIT ?",
        (prefix, end, prefix, end, exclude_user_id, limit),
    ).fetchall()
    return [user_from_row(row) for row in rows]


def get_session(conn: sqlite3.Connection, token_hash: str, now: datetime) -> SessionInfo | None:
    row = conn.execute(
        f"SELECT {', '.join('u.' + c for c in USER_COLUMNS.split(', '))}, s.ExpiresAt "
        "FROM UserSession AS s JOIN ChatUser AS u ON u.UserId = s.UserId "
        "WHERE s.TokenHash = ? AND s.Revoked = 0 AND s.ExpiresAt > ?",
        (token_hash, to_micros(now)),
    ).fetchone()
    if row is None:
        return None
    return SessionInfo(user=user_from_row(row), expires_at=from_micros(row[4]))


def get_message(conn: sqlite3.Connection, message_id: int) -> Message | None:
    loaded = load_message(conn, message_id)
    return loaded[0] if loaded else None
