"""Write transactions of the SQLite store, one function per stored procedure of the seed.

Each runs on the writer thread inside its own SAVEPOINT (see
:class:`~parley.server.store.sqlite_engine.GroupCommitWriter`): raising undoes exactly
that operation. Each appends the events of what it changed (:func:`append_events`) in
the same transaction and returns them.

Unread counts hold one invariant, checked by the contract suite: a side's count is the
number of unread messages its user may see (``visible_to``) and has not deleted for
themselves. So a first message held for pre-moderation is counted only once approved
(the seed counted it at once; its side is hidden, so the total unread is the same).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Literal

import msgspec

from parley.shared.conversations import (
    conversation_id,
    hidden_from_receiver,
    other_participant,
    premoderation_status_for,
    redacted,
    visible_to,
)
from parley.shared.errors import ErrorCode, ParleyError
from parley.shared.events import (
    ConversationChanged,
    Event,
    MessageDeleted,
    MessageModerationStatusChanged,
    MessageReceived,
    MessageSent,
    SendingBlockedForUser,
)
from parley.shared.models import (
    Message,
    ModerationStatus,
    PreModerationStatus,
    Role,
    SendMessageResult,
    User,
)

from .interface import SendOutcome, WriteResult
from .sqlite_queries import preview_message
from .sqlite_rows import (
    MESSAGE_COLUMNS,
    MESSAGE_TABLES,
    USER_COLUMNS,
    append_events,
    from_micros,
    is_deleted_for,
    load_message,
    message_from_row,
    user_from_row,
)

Addressed = list[tuple[int, Event]]


def _not_found_message(message_id: int) -> ParleyError:
    return ParleyError(ErrorCode.NOT_FOUND, f"No message {message_id}.")


def _not_found_conversation(conversation: str) -> ParleyError:
    return ParleyError(ErrorCode.NOT_FOUND, f"No conversation {conversation!r}.")


def _require_side(conn: sqlite3.Connection, user_id: int, conversation: str) -> None:
    other_participant(conversation, user_id)
    if (
        conn.execute(
            "SELECT 1 FROM UserConversation WHERE UserId = ? AND ConversationId = ?",
            (user_id, conversation),
        ).fetchone()
        is None
    ):
        raise _not_found_conversation(conversation)


def _seen_message(conn: sqlite3.Connection, user_id: int, message_id: int) -> tuple[Message, str]:
    """A message the user takes part in and may see; NOT_FOUND for anything else."""
    loaded = load_message(conn, message_id)
    if loaded is None:
        raise _not_found_message(message_id)
    message, table = loaded
    if (
        user_id not in (message.sender_id, message.receiver_id)
        or not visible_to(message, user_id)
        or is_deleted_for(conn, user_id, message_id)
    ):
        raise _not_found_message(message_id)
    return message, table


def _unread_candidates(conn: sqlite3.Connection, user_id: int, conversation: str) -> list[Message]:
    """Unread messages to the user in a conversation, not deleted for them (partial index)."""
    found: list[Message] = []
    for table in MESSAGE_TABLES:
        rows = conn.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM {table} AS m "
            "WHERE ConversationId = ? AND ReceiverId = ? AND Unread = 1 AND NOT EXISTS ("
            "  SELECT 1 FROM MessageDeletedForUser AS d"
            "  WHERE d.UserId = m.ReceiverId AND d.MessageId = m.MessageId)",
            (conversation, user_id),
        ).fetchall()
        found.extend(message_from_row(row) for row in rows)
    return found


def _recount_unread(conn: sqlite3.Connection, user_id: int, conversation: str) -> bool:
    """Set a side's unread count from its messages; whether it changed."""
    count = sum(
        1 for m in _unread_candidates(conn, user_id, conversation) if visible_to(m, user_id)
    )
    cursor = conn.execute(
        "UPDATE UserConversation SET UnreadMessageCount = ? "
        "WHERE UserId = ? AND ConversationId = ? AND UnreadMessageCount <> ?",
        (count, user_id, conversation, count),
    )
    return cursor.rowcount > 0


def _preview_id(conn: sqlite3.Connection, user_id: int, conversation: str) -> int | None:
    """The id of the message a side's preview shows now."""
    row = conn.execute(
        "SELECT LastMessageId FROM UserConversation WHERE UserId = ? AND ConversationId = ?",
        (user_id, conversation),
    ).fetchone()
    if row is None or row[0] is None:
        return None
    loaded = load_message(conn, row[0])
    shown = preview_message(
        conn,
        user_id=user_id,
        conversation_id=conversation,
        last=loaded[0] if loaded else None,
        last_deleted_for_user=is_deleted_for(conn, user_id, row[0]),
    )
    return shown.id if shown else None


# --- accounts ---------------------------------------------------------------------------


def create_user(
    conn: sqlite3.Connection,
    *,
    username: str,
    display_name: str,
    password_hash: str,
    role: Role,
    now_us: int,
) -> User:
    try:
        cursor = conn.execute(
            "INSERT INTO ChatUser (Username, UsernameFolded, DisplayName, DisplayNameFolded, "
            "PasswordHash, Role, CreatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                username,
                username.casefold(),
                display_name,
                display_name.casefold(),
                password_hash,
                role.value,
                now_us,
            ),
        )
    except sqlite3.IntegrityError:
        raise ParleyError(
            ErrorCode.USERNAME_TAKEN, f"The name {username!r} is taken; choose another."
        ) from None
    assert cursor.lastrowid is not None
    return User(id=cursor.lastrowid, username=username, display_name=display_name, role=role)


def set_user_role(conn: sqlite3.Connection, *, user_id: int, role: Role) -> User:
    conn.execute("UPDATE ChatUser SET Role = ? WHERE UserId = ?", (role.value, user_id))
    row = conn.execute(
        f"SELECT {USER_COLUMNS} FROM ChatUser WHERE UserId = ?", (user_id,)
    ).fetchone()
    if row is None:
        raise ParleyError(ErrorCode.NOT_FOUND, f"No user {user_id}.")
    return user_from_row(row)


def create_session(
    conn: sqlite3.Connection,
    *,
    user_id: int,
    token_hash: str,
    expires_us: int,
    device: str,
    now_us: int,
) -> None:
    if conn.execute("SELECT 1 FROM ChatUser WHERE UserId = ?", (user_id,)).fetchone() is None:
        raise ParleyError(ErrorCode.NOT_FOUND, f"No user {user_id}.")
    try:
        conn.execute(
            "INSERT INTO UserSession (TokenHash, UserId, ExpiresAt, Device, CreatedAt) "
            "VALUES (?, ?, ?, ?, ?)",
            (token_hash, user_id, expires_us, device, now_us),
        )
    except sqlite3.IntegrityError:
        raise ParleyError(ErrorCode.CONFLICT, "That session token is already in use.") from None


def revoke_session(conn: sqlite3.Connection, *, token_hash: str) -> None:
    conn.execute("UPDATE UserSession SET Revoked = 1 WHERE TokenHash = ?", (token_hash,))


# --- messaging --------------------------------------------------------------------------


def _duplicate_send(
    conn: sqlite3.Connection, sender_id: int, client_message_id: str, message_id: int
) -> SendOutcome:
    """A retried send: the first result again, nothing written, nothing to publish."""
    row = conn.execute(
        "SELECT IsFirst FROM MessageIdempotency WHERE SenderId = ? AND ClientMessageId = ?",
        (sender_id, client_message_id),
    ).fetchone()
    loaded = load_message(conn, message_id)
    if loaded is None or row is None:
        raise RuntimeError(f"message {message_id} of an idempotency record is missing")
    result = SendMessageResult(message=loaded[0], is_first=bool(row[0]), duplicate=True)
    return SendOutcome(result=result, events=[])


def send_message(
    conn: sqlite3.Connection,
    *,
    sender_id: int,
    receiver_id: int,
    text: str,
    sent_us: int,
    premoderate_first: bool,
    client_message_id: str,
    message_type: int,
    payload: str | None,
    now_us: int,
) -> SendOutcome:
    """SendMessage: a handful of indexed statements, the hot path of the whole server.

    Every check the seed procedure makes (idempotency, both users, sending block, the
    receiver's block, whether the conversation is new) is one statement, which also
    reads both users' event sequence for :func:`append_events`.
    """
    if sender_id == receiver_id:
        raise ParleyError(ErrorCode.SEND_TO_SELF, "You cannot send a message to yourself.")
    conversation = conversation_id(sender_id, receiver_id)
    checks = conn.execute(
        "SELECT s.SendingBlocked, s.LastEventSeq, r.LastEventSeq, "
        "  EXISTS (SELECT 1 FROM UserBlock AS b "
        "          WHERE b.UserId = r.UserId AND b.BlockedUserId = s.UserId), "
        "  EXISTS (SELECT 1 FROM UserConversation AS uc "
        "          WHERE uc.UserId IN (s.UserId, r.UserId) AND uc.ConversationId = ?), "
        "  (SELECT i.MessageId FROM MessageIdempotency AS i "
        "   WHERE i.SenderId = s.UserId AND i.ClientMessageId = ?) "
        "FROM ChatUser AS s LEFT JOIN ChatUser AS r ON r.UserId = ? "
        "WHERE s.UserId = ?",
        (conversation, client_message_id, receiver_id, sender_id),
    ).fetchone()
    if checks is None:
        raise ParleyError(ErrorCode.NOT_FOUND, f"No user {sender_id}.")
    sending_blocked, sender_seq, receiver_seq, blocked_by_receiver, exists, done = checks
    if done is not None:
        return _duplicate_send(conn, sender_id, client_message_id, done)
    if receiver_seq is None:
        raise ParleyError(ErrorCode.NOT_FOUND, f"No user {receiver_id}.")
    if sending_blocked:
        raise ParleyError(
            ErrorCode.SENDING_BLOCKED, "You are blocked from sending messages by a moderator."
        )
    if blocked_by_receiver:
        raise ParleyError(
            ErrorCode.BLOCKED_BY_RECEIVER, "This user has blocked you; the message was not sent."
        )
    is_first = not exists
    status = premoderation_status_for(premoderate_first=premoderate_first, is_first=is_first)
    hidden = hidden_from_receiver(status)
    cursor = conn.execute(
        "INSERT INTO ChatMessage (SenderId, ReceiverId, ConversationId, Text, DateTime, "
        "PreModerationStatus, MessageType, PayloadJson, ClientMessageId) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            sender_id,
            receiver_id,
            conversation,
            text,
            sent_us,
            int(status),
            message_type,
            payload,
            client_message_id,
        ),
    )
    message_id = cursor.lastrowid
    assert message_id is not None
    conn.execute(
        "INSERT INTO MessageIdempotency (SenderId, ClientMessageId, MessageId, IsFirst) "
        "VALUES (?, ?, ?, ?)",
        (sender_id, client_message_id, message_id, int(is_first)),
    )
    # Sender's side: a new outgoing message un-archives it.
    conn.execute(
        "INSERT INTO UserConversation (UserId, ConversationId, SecondUserId, LastMessageId, "
        "UnreadMessageCount, CreateDate, IsInitiatedByUser, Hidden) "
        "VALUES (?, ?, ?, ?, 0, ?, 1, 0) "
        "ON CONFLICT (UserId, ConversationId) DO UPDATE SET "
        "LastMessageId = excluded.LastMessageId, Archived = 0",
        (sender_id, conversation, receiver_id, message_id, sent_us),
    )
    # Receiver's side: a new incoming message un-archives it and counts as unread, once
    # the receiver may see it; a hidden side stays hidden only while this one is hidden.
    conn.execute(
        "INSERT INTO UserConversation (UserId, ConversationId, SecondUserId, LastMessageId, "
        "UnreadMessageCount, CreateDate, IsInitiatedByUser, Hidden) "
        "VALUES (?, ?, ?, ?, ?, ?, 0, ?) "
        "ON CONFLICT (UserId, ConversationId) DO UPDATE SET "
        "LastMessageId = excluded.LastMessageId, "
        "UnreadMessageCount = UnreadMessageCount + excluded.UnreadMessageCount, "
        "Hidden = CASE WHEN Hidden = 0 THEN 0 ELSE excluded.Hidden END, "
        "Archived = CASE WHEN excluded.Hidden = 0 THEN 0 ELSE Archived END",
        (
            receiver_id,
            conversation,
            sender_id,
            message_id,
            0 if hidden else 1,
            sent_us,
            int(hidden),
        ),
    )
    message = Message(
        id=message_id,
        conversation_id=conversation,
        sender_id=sender_id,
        receiver_id=receiver_id,
        text=text,
        sent_at=from_micros(sent_us),
        client_message_id=client_message_id,
        message_type=message_type,
        payload=payload,
        premoderation_status=status,
    )
    addressed: Addressed = [(sender_id, MessageSent(message=message))]
    if not hidden:
        addressed.append((receiver_id, MessageReceived(message=message)))
    changed = ConversationChanged(conversation_id=conversation)
    addressed += [(sender_id, changed), (receiver_id, changed)]
    events = append_events(
        conn, addressed, now_us=now_us, last_seqs={sender_id: sender_seq, receiver_id: receiver_seq}
    )
    return SendOutcome(result=SendMessageResult(message=message, is_first=is_first), events=events)


def mark_conversation_read(
    conn: sqlite3.Connection,
    *,
    user_id: int,
    conversation_id: str,
    up_to_message_id: int | None,
    now_us: int,
) -> WriteResult:
    """MarkConversationRead: only messages the reader may see become read, so a held
    first message is still unread when it is approved."""
    _require_side(conn, user_id, conversation_id)
    unread = [
        m for m in _unread_candidates(conn, user_id, conversation_id) if visible_to(m, user_id)
    ]
    now_read = [m for m in unread if up_to_message_id is None or m.id <= up_to_message_id]
    if not now_read:
        return WriteResult(events=[])
    ids = json.dumps([m.id for m in now_read])
    for table in MESSAGE_TABLES:
        conn.execute(
            f"UPDATE {table} SET Unread = 0 WHERE MessageId IN (SELECT value FROM json_each(?))",
            (ids,),
        )
    conn.execute(
        "UPDATE UserConversation SET UnreadMessageCount = ? "
        "WHERE UserId = ? AND ConversationId = ?",
        (len(unread) - len(now_read), user_id, conversation_id),
    )
    events = append_events(
        conn, [(user_id, ConversationChanged(conversation_id=conversation_id))], now_us=now_us
    )
    return WriteResult(events=events)


def delete_message(
    conn: sqlite3.Connection, *, user_id: int, message_id: int, for_everyone: bool, now_us: int
) -> WriteResult:
    """DeleteMessage. For everyone: only the sender; the row stays (a placeholder), its
    text is withheld by ``redacted``. For me: the other participant keeps the message."""
    message, table = _seen_message(conn, user_id, message_id)
    conversation = message.conversation_id
    addressed: Addressed = []
    if for_everyone:
        if user_id != message.sender_id:
            raise ParleyError(
                ErrorCode.FORBIDDEN, "Only the sender can delete a message for everyone."
            )
        if message.deleted:
            return WriteResult(events=[])
        audience = [message.sender_id]
        if visible_to(message, message.receiver_id) and not is_deleted_for(
            conn, message.receiver_id, message_id
        ):
            audience.append(message.receiver_id)
        shows_it = [u for u in audience if _preview_id(conn, u, conversation) == message_id]
        conn.execute(f"UPDATE {table} SET Deleted = 1 WHERE MessageId = ?", (message_id,))
        deleted = MessageDeleted(
            message_id=message_id, conversation_id=conversation, for_everyone=True
        )
        addressed += [(u, deleted) for u in audience]
        addressed += [(u, ConversationChanged(conversation_id=conversation)) for u in shows_it]
    else:
        shown = _preview_id(conn, user_id, conversation) == message_id
        conn.execute(
            "INSERT INTO MessageDeletedForUser (UserId, MessageId, DeletedAt) VALUES (?, ?, ?)",
            (user_id, message_id, now_us),
        )
        recounted = user_id == message.receiver_id and _recount_unread(conn, user_id, conversation)
        addressed.append(
            (
                user_id,
                MessageDeleted(
                    message_id=message_id, conversation_id=conversation, for_everyone=False
                ),
            )
        )
        if shown or recounted:
            addressed.append((user_id, ConversationChanged(conversation_id=conversation)))
    return WriteResult(events=append_events(conn, addressed, now_us=now_us))


SideFlag = Literal["Pinned", "Archived", "Hidden"]


def set_side_flag(
    conn: sqlite3.Connection,
    *,
    flag: SideFlag,
    user_id: int,
    conversation_id: str,
    value: bool,
    now_us: int,
) -> WriteResult:
    """SetConversationPinned / SetConversationArchived / SetConversationHidden."""
    other_participant(conversation_id, user_id)
    row = conn.execute(
        f"SELECT {flag} FROM UserConversation WHERE UserId = ? AND ConversationId = ?",
        (user_id, conversation_id),
    ).fetchone()
    if row is None:
        raise _not_found_conversation(conversation_id)
    if bool(row[0]) == value:
        return WriteResult(events=[])
    conn.execute(
        f"UPDATE UserConversation SET {flag} = ? WHERE UserId = ? AND ConversationId = ?",
        (int(value), user_id, conversation_id),
    )
    events = append_events(
        conn, [(user_id, ConversationChanged(conversation_id=conversation_id))], now_us=now_us
    )
    return WriteResult(events=events)


def set_user_blocked(
    conn: sqlite3.Connection, *, user_id: int, blocked_user_id: int, blocked: bool, now_us: int
) -> WriteResult:
    if blocked_user_id == user_id:
        raise ParleyError(ErrorCode.FORBIDDEN, "You cannot block yourself.")
    if (
        conn.execute("SELECT 1 FROM ChatUser WHERE UserId = ?", (blocked_user_id,)).fetchone()
        is None
    ):
        raise ParleyError(ErrorCode.NOT_FOUND, f"No user {blocked_user_id}.")
    if blocked:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO UserBlock (UserId, BlockedUserId, CreatedAt) VALUES (?, ?, ?)",
            (user_id, blocked_user_id, now_us),
        )
    else:
        cursor = conn.execute(
            "DELETE FROM UserBlock WHERE UserId = ? AND BlockedUserId = ?",
            (user_id, blocked_user_id),
        )
    if cursor.rowcount == 0:
        return WriteResult(events=[])
    conversation = conversation_id(user_id, blocked_user_id)
    has_side = conn.execute(
        "SELECT 1 FROM UserConversation WHERE UserId = ? AND ConversationId = ?",
        (user_id, conversation),
    ).fetchone()
    if has_side is None:
        return WriteResult(events=[])
    events = append_events(
        conn, [(user_id, ConversationChanged(conversation_id=conversation))], now_us=now_us
    )
    return WriteResult(events=events)


def set_sending_blocked(
    conn: sqlite3.Connection, *, user_id: int, blocked: bool, reason: str, now_us: int
) -> WriteResult:
    cursor = conn.execute(
        "UPDATE ChatUser SET SendingBlocked = ?, SendingBlockedReason = ? "
        "WHERE UserId = ? AND SendingBlocked <> ?",
        (int(blocked), reason, user_id, int(blocked)),
    )
    if cursor.rowcount == 0:
        if conn.execute("SELECT 1 FROM ChatUser WHERE UserId = ?", (user_id,)).fetchone() is None:
            raise ParleyError(ErrorCode.NOT_FOUND, f"No user {user_id}.")
        return WriteResult(events=[])
    events = append_events(
        conn, [(user_id, SendingBlockedForUser(blocked=blocked, reason=reason))], now_us=now_us
    )
    return WriteResult(events=events)


def flag_message(
    conn: sqlite3.Connection, *, user_id: int, message_id: int, reason: str, now_us: int
) -> int:
    """FlagMessage: one flag per user and message (a repeat keeps the first reason)."""
    _seen_message(conn, user_id, message_id)
    conn.execute(
        "INSERT OR IGNORE INTO MessageFlag (MessageId, UserId, Reason, CreatedAt) "
        "VALUES (?, ?, ?, ?)",
        (message_id, user_id, reason, now_us),
    )
    row = conn.execute(
        "SELECT COUNT(*) FROM MessageFlag WHERE MessageId = ?", (message_id,)
    ).fetchone()
    return int(row[0])


def _moderation_change(
    conn: sqlite3.Connection,
    before: Message,
    after: Message,
    table: str,
    reason: str,
    now_us: int,
) -> WriteResult:
    """Write a changed moderation status and tell whoever could or now can see it.

    The receiver hears nothing about a message hidden from them before and after (a held
    first message that is rejected): the snapshot must not leak what they may not see.
    """
    addressed = _moderation_change_addressed(conn, before, after, table, reason)
    return WriteResult(events=append_events(conn, addressed, now_us=now_us))


def _moderation_change_addressed(
    conn: sqlite3.Connection, before: Message, after: Message, table: str, reason: str
) -> Addressed:
    """:func:`_moderation_change` without writing the events: who hears what, for a
    caller changing many messages that appends all their events at once."""
    conn.execute(
        f"UPDATE {table} SET PreModerationStatus = ?, ModerationStatus = ? WHERE MessageId = ?",
        (int(after.premoderation_status), int(after.moderation_status), after.id),
    )
    conversation = after.conversation_id
    receiver = after.receiver_id
    seen_before = visible_to(before, receiver)
    seen_after = visible_to(after, receiver)
    audience = [after.sender_id] + ([receiver] if seen_before or seen_after else [])
    changed_status = MessageModerationStatusChanged(
        message_id=after.id,
        conversation_id=conversation,
        moderation_status=after.moderation_status,
        premoderation_status=after.premoderation_status,
        reason=reason,
    )
    addressed: Addressed = [(u, changed_status) for u in audience]
    if seen_after and not seen_before:
        _recount_unread(conn, receiver, conversation)
        # Revealed: the receiver's side is no longer hidden behind it.
        conn.execute(
            "UPDATE UserConversation SET Hidden = 0, Archived = 0 "
            "WHERE UserId = ? AND ConversationId = ?",
            (receiver, conversation),
        )
        if not is_deleted_for(conn, receiver, after.id):
            addressed.append((receiver, MessageReceived(message=redacted(after))))
    elif seen_before and not seen_after:
        _recount_unread(conn, receiver, conversation)
    addressed += [(u, ConversationChanged(conversation_id=conversation)) for u in audience]
    return addressed


def set_premoderation_status(
    conn: sqlite3.Connection,
    *,
    message_id: int,
    status: PreModerationStatus,
    reason: str,
    now_us: int,
) -> WriteResult:
    """SetPreModerationStatus: approving reveals a held first message to the receiver."""
    loaded = load_message(conn, message_id)
    if loaded is None:
        raise _not_found_message(message_id)
    before, table = loaded
    status = PreModerationStatus(status)
    if before.premoderation_status == status:
        return WriteResult(events=[])
    after = msgspec.structs.replace(before, premoderation_status=status)
    return _moderation_change(conn, before, after, table, reason, now_us)


def set_moderation_status(
    conn: sqlite3.Connection,
    *,
    message_id: int,
    status: ModerationStatus,
    reason: str,
    now_us: int,
) -> WriteResult:
    """SetMessageModerationStatus (post-moderation)."""
    loaded = load_message(conn, message_id)
    if loaded is None:
        raise _not_found_message(message_id)
    before, table = loaded
    status = ModerationStatus(status)
    if before.moderation_status == status:
        return WriteResult(events=[])
    after = msgspec.structs.replace(before, moderation_status=status)
    return _moderation_change(conn, before, after, table, reason, now_us)


# --- maintenance ------------------------------------------------------------------------


def archive_messages(conn: sqlite3.Connection, *, older_than_us: int, batch_size: int) -> int:
    """Move one bounded batch of the oldest decided hot messages to the cold table.

    Bounded because the writer is shared: a batch of a few thousand rows holds up sends
    for milliseconds, a whole year of history would hold them up for minutes. Undecided
    messages stay hot whatever their age: the moderation queue is the hot table's
    unspecified rows, and a first message still held (pre-moderation pending, e.g. in
    human review) must be where its release or rejection will find it.
    """
    ids = [
        row[0]
        for row in conn.execute(
            "SELECT MessageId FROM ChatMessage WHERE DateTime < ? "
            f"AND ModerationStatus <> {int(ModerationStatus.UNSPECIFIED)} "
            f"AND PreModerationStatus <> {int(PreModerationStatus.PENDING)} "
            "ORDER BY DateTime, MessageId LIMIT ?",
            (older_than_us, max(batch_size, 0)),
        ).fetchall()
    ]
    if not ids:
        return 0
    batch = json.dumps(ids)
    conn.execute(
        f"INSERT INTO ChatMessageCold ({MESSAGE_COLUMNS}, UnreadNotified) "
        f"SELECT {MESSAGE_COLUMNS}, UnreadNotified FROM ChatMessage "
        "WHERE MessageId IN (SELECT value FROM json_each(?))",
        (batch,),
    )
    conn.execute(
        "DELETE FROM ChatMessage WHERE MessageId IN (SELECT value FROM json_each(?))", (batch,)
    )
    return len(ids)


def prune_events(conn: sqlite3.Connection, *, older_than_us: int) -> int:
    return conn.execute("DELETE FROM UserEvent WHERE CreatedAt < ?", (older_than_us,)).rowcount
