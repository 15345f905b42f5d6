"""The procedures of sql/mssql/procedures/ as the Python side binds them.

One table, read by the store (to build each ``EXEC``) and by the tests (which parse the
``CREATE PROCEDURE`` headers and check that names, order and OUTPUT markers agree), so a
renamed or reordered parameter fails a test here instead of a call in production.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Procedure:
    name: str
    params: tuple[str, ...]  # input parameters, in declaration order, without "@"
    outputs: tuple[tuple[str, str], ...] = ()  # OUTPUT parameters (name, T-SQL type), after
    native: bool = True  # WITH NATIVE_COMPILATION (False: interpreted, may touch cold rows)

    def batch(self, nulls: frozenset[str] = frozenset()) -> str:
        """The T-SQL that calls it with ``?`` markers, selecting its OUTPUT values last.

        pyodbc cannot bind OUTPUT parameters, so they are declared in the batch and
        selected after the call, as Microsoft's ODBC samples do. Parameters named in
        ``nulls`` are written as the literal NULL instead of a marker: a bound None has
        no type, and drivers that cannot describe an EXEC's parameters send it as
        varbinary, which SQL Server refuses to convert to nvarchar.
        """
        args = [f"@{name} = {'NULL' if name in nulls else '?'}" for name in self.params]
        declare = ""
        select = ""
        if self.outputs:
            declare = "DECLARE " + ", ".join(f"@o_{n} {t}" for n, t in self.outputs) + "; "
            args += [f"@{n} = @o_{n} OUTPUT" for n, _ in self.outputs]
            select = "; SELECT " + ", ".join(f"@o_{n}" for n, _ in self.outputs)
        return f"SET NOCOUNT ON; {declare}EXEC dbo.{self.name} {', '.join(args)}{select};"

    def bind(self, args: tuple[object, ...]) -> tuple[str, list[object]]:
        """The batch for these arguments and the values its markers take, in order."""
        if len(args) != len(self.params):
            raise TypeError(f"{self.name} takes {len(self.params)} arguments, not {len(args)}")
        nulls = frozenset(
            name for name, value in zip(self.params, args, strict=True) if value is None
        )
        return self.batch(nulls), [value for value in args if value is not None]


def _p(name: str, *params: str, native: bool = True) -> Procedure:
    return Procedure(name, params, native=native)


CREATE_USER = _p(
    "CreateUser",
    "Username",
    "UsernameFolded",
    "DisplayName",
    "DisplayNameFolded",
    "PasswordHash",
    "Role",
    "Now",
)
GET_CREDENTIALS = _p("GetCredentials", "UsernameFolded")
GET_USER = _p("GetUser", "UserId")
SET_USER_ROLE = _p("SetUserRole", "UserId", "Role")
FIND_USERS = _p("FindUsers", "Prefix", "PrefixEnd", "ExcludeUserId", "Limit")
CREATE_SESSION = _p("CreateSession", "UserId", "TokenHash", "ExpiresAt", "Device", "Now")
GET_SESSION = _p("GetSession", "TokenHash", "Now")
REVOKE_SESSION = _p("RevokeSession", "TokenHash")
SEND_MESSAGE = Procedure(
    "SendMessage",
    (
        "SenderId",
        "ReceiverId",
        "Text",
        "SentAt",
        "PremoderateFirst",
        "ClientMessageId",
        "MessageType",
        "PayloadJson",
        "Now",
    ),
    outputs=(
        ("ConversationId", "varchar(41)"),
        ("MessageId", "bigint"),
        ("IsFirst", "bit"),
        ("PreModerationStatus", "tinyint"),
        ("Duplicate", "bit"),
    ),
)
MARK_CONVERSATION_READ = _p(
    "MarkConversationRead", "UserId", "ConversationId", "UpToMessageId", "Now", native=False
)
DELETE_MESSAGE = _p("DeleteMessage", "UserId", "MessageId", "ForEveryone", "Now", native=False)
SET_CONVERSATION_PINNED = _p("SetConversationPinned", "UserId", "ConversationId", "Pinned", "Now")
SET_CONVERSATION_ARCHIVED = _p(
    "SetConversationArchived", "UserId", "ConversationId", "Archived", "Now"
)
SET_CONVERSATION_HIDDEN = _p("SetConversationHidden", "UserId", "ConversationId", "Hidden", "Now")
SET_USER_BLOCKED = _p("SetUserBlocked", "UserId", "BlockedUserId", "Blocked", "Now")
SET_SENDING_BLOCKED = _p("SetSendingBlocked", "UserId", "Blocked", "Reason", "Now")
FLAG_MESSAGE = _p("FlagMessage", "UserId", "MessageId", "Reason", "Now", native=False)
SET_PREMODERATION_STATUS = _p(
    "SetPreModerationStatus", "MessageId", "Status", "Reason", "Now", native=False
)
SET_MODERATION_STATUS = _p(
    "SetMessageModerationStatus", "MessageId", "Status", "Reason", "Now", native=False
)
GET_CHAT_STATE = _p("GetChatState", "UserId", native=False)
GET_CONVERSATIONS = _p("GetConversations", "UserId", "ConversationIds", native=False)
GET_HISTORY_PAGE = _p(
    "GetHistoryPage", "UserId", "ConversationId", "BeforeMessageId", "Limit", native=False
)
GET_MESSAGE = _p("GetMessage", "MessageId", native=False)
GET_EVENTS_SINCE = _p("GetEventsSince", "UserId", "Seq", "Limit")
GET_EVENTS_AFTER = _p("GetEventsAfter", "EventId", "Limit")
ARCHIVE_MESSAGES = _p("ArchiveMessages", "OlderThan", "BatchSize", native=False)
PRUNE_EVENTS = _p("PruneEvents", "OlderThan")

# Store operation (parley.server.store.interface.Store method) -> its procedure.
STORE_OPERATIONS: dict[str, Procedure] = {
    "create_user": CREATE_USER,
    "get_credentials": GET_CREDENTIALS,
    "get_user": GET_USER,
    "set_user_role": SET_USER_ROLE,
    "find_users": FIND_USERS,
    "create_session": CREATE_SESSION,
    "get_session": GET_SESSION,
    "revoke_session": REVOKE_SESSION,
    "send_message": SEND_MESSAGE,
    "mark_conversation_read": MARK_CONVERSATION_READ,
    "delete_message": DELETE_MESSAGE,
    "set_conversation_pinned": SET_CONVERSATION_PINNED,
    "set_conversation_archived": SET_CONVERSATION_ARCHIVED,
    "set_conversation_hidden": SET_CONVERSATION_HIDDEN,
    "set_user_blocked": SET_USER_BLOCKED,
    "set_sending_blocked": SET_SENDING_BLOCKED,
    "flag_message": FLAG_MESSAGE,
    "set_premoderation_status": SET_PREMODERATION_STATUS,
    "set_moderation_status": SET_MODERATION_STATUS,
    "get_chat_state": GET_CHAT_STATE,
    "get_conversations": GET_CONVERSATIONS,
    "get_history_page": GET_HISTORY_PAGE,
    "get_message": GET_MESSAGE,
    "get_events_since": GET_EVENTS_SINCE,
    "get_events_after": GET_EVENTS_AFTER,
    "archive_messages": ARCHIVE_MESSAGES,
    "prune_events": PRUNE_EVENTS,
}

# --- the moderation pipeline (parley.server.store.moderation.ModerationStore) -------------
GET_UNMODERATED_MESSAGES = _p("GetUnmoderatedMessages", "AfterId", "Limit")
APPLY_MODERATION_DECISIONS = _p(
    "ApplyModerationDecisions", "Decisions", "VotesNeeded", "Now", native=False
)
FLAG_MESSAGE_FOR_REVIEW = _p(
    "FlagMessageForReview",
    "UserId",
    "MessageId",
    "Reason",
    "VotesNeeded",
    "FlagBasePriority",
    "FlagStep",
    "FlagMaxPriority",
    "Now",
    native=False,
)
LIST_REVIEW_QUEUE = _p(
    "ListReviewQueue", "State", "Source", "Category", "MinPriority", "Limit", native=False
)
GET_REVIEW_ITEM = _p("GetReviewItem", "ItemId", native=False)
CLAIM_REVIEW_ITEM = _p(
    "ClaimReviewItem",
    "ModeratorId",
    "ItemId",
    "LeaseUntil",
    "Now",
    "State",
    "Source",
    "Category",
    "MinPriority",
    native=False,
)
CAST_REVIEW_VOTE = _p(
    "CastReviewVote",
    "ModeratorId",
    "ItemId",
    "Vote",
    "Category",
    "Now",
    "HiddenCategories",
    native=False,
)
APPEND_AUDIT_LOG = _p(
    "AppendAuditLog", "ActorId", "Action", "TargetKind", "TargetId", "Detail", "Now", native=False
)
LIST_AUDIT_LOG = _p("ListAuditLog", "ActorId", "BeforeId", "Limit", native=False)
GET_MODERATION_STATS = _p("GetModerationStats", "LatencyWindow", native=False)
LIST_TRAINING_LABELS = _p("ListTrainingLabels", native=False)

# ModerationStore operation -> its procedure (each is one transaction, like the others).
MODERATION_OPERATIONS: dict[str, Procedure] = {
    "get_unmoderated_messages": GET_UNMODERATED_MESSAGES,
    "apply_moderation_decisions": APPLY_MODERATION_DECISIONS,
    "flag_message_for_review": FLAG_MESSAGE_FOR_REVIEW,
    "list_review_queue": LIST_REVIEW_QUEUE,
    "get_review_item": GET_REVIEW_ITEM,
    "claim_review_item": CLAIM_REVIEW_ITEM,
    "cast_review_vote": CAST_REVIEW_VOTE,
    "append_audit_log": APPEND_AUDIT_LOG,
    "list_audit_log": LIST_AUDIT_LOG,
    "get_moderation_stats_inputs": GET_MODERATION_STATS,
    "list_training_labels": LIST_TRAINING_LABELS,
}
