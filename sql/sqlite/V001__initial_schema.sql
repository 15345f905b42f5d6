-- Parley on SQLite: the seed's tables (ChatUser, ChatMessage, UserConversation) with the
-- same column names, plus what accounts, delivery guarantees and moderation need.
--
-- Write-once: this file is recorded (with its checksum) in SchemaVersion when applied and
-- must never be edited afterwards; changes go into a new V###__name.sql file.
--
-- Conventions: times are INTEGER microseconds since the Unix epoch, UTC (exact, compact
-- and ordered); booleans are INTEGER 0/1; conversation ids are the text "low-high" of the
-- two user ids (parley.shared.conversations.conversation_id).

CREATE TABLE ChatUser (
    UserId              INTEGER PRIMARY KEY AUTOINCREMENT,
    Username            TEXT    NOT NULL,
    UsernameFolded      TEXT    NOT NULL UNIQUE,  -- casefold(): case-insensitive, Unicode-aware
    DisplayName         TEXT    NOT NULL,
    DisplayNameFolded   TEXT    NOT NULL,
    PasswordHash        TEXT    NOT NULL,
    Role                TEXT    NOT NULL DEFAULT 'user'
                                CHECK (Role IN ('user', 'moderator', 'admin')),
    SendingBlocked      INTEGER NOT NULL DEFAULT 0,
    SendingBlockedReason TEXT   NOT NULL DEFAULT '',
    LastEventSeq        INTEGER NOT NULL DEFAULT 0,  -- the user's event sequence (UserEvent.Seq)
    CreatedAt           INTEGER NOT NULL
);

CREATE INDEX IX_ChatUser_DisplayNameFolded ON ChatUser (DisplayNameFolded);

-- Hot messages. AUTOINCREMENT, so an id is never reused once its row moved to the cold
-- table: ids stay unique across both.
CREATE TABLE ChatMessage (
    MessageId           INTEGER PRIMARY KEY AUTOINCREMENT,
    SenderId            INTEGER NOT NULL,
    ReceiverId          INTEGER NOT NULL,
    ConversationId      TEXT    NOT NULL,
    Text                TEXT    NOT NULL,
    DateTime            INTEGER NOT NULL,
    Deleted             INTEGER NOT NULL DEFAULT 0,
    PreModerationStatus INTEGER NOT NULL DEFAULT 0,
    Unread              INTEGER NOT NULL DEFAULT 1,
    UnreadNotified      INTEGER NOT NULL DEFAULT 0,
    MessageType         INTEGER NOT NULL DEFAULT 0,
    PayloadJson         TEXT,
    ModerationStatus    INTEGER NOT NULL DEFAULT 0,
    ClientMessageId     TEXT
);

CREATE INDEX IX_ChatMessage_Conversation ON ChatMessage (ConversationId, MessageId);
CREATE INDEX IX_ChatMessage_DateTime ON ChatMessage (DateTime);
CREATE INDEX IX_ChatMessage_SenderId ON ChatMessage (SenderId);
CREATE INDEX IX_ChatMessage_ReceiverId ON ChatMessage (ReceiverId);
-- Unread messages are few at any moment: MarkConversationRead finds them without
-- walking the conversation's history.
CREATE INDEX IX_ChatMessage_Unread ON ChatMessage (ConversationId, ReceiverId, MessageId)
    WHERE Unread = 1;

-- Cold messages: the same columns; rows keep the id they had in the hot table.
CREATE TABLE ChatMessageCold (
    MessageId           INTEGER PRIMARY KEY,
    SenderId            INTEGER NOT NULL,
    ReceiverId          INTEGER NOT NULL,
    ConversationId      TEXT    NOT NULL,
    Text                TEXT    NOT NULL,
    DateTime            INTEGER NOT NULL,
    Deleted             INTEGER NOT NULL DEFAULT 0,
    PreModerationStatus INTEGER NOT NULL DEFAULT 0,
    Unread              INTEGER NOT NULL DEFAULT 1,
    UnreadNotified      INTEGER NOT NULL DEFAULT 0,
    MessageType         INTEGER NOT NULL DEFAULT 0,
    PayloadJson         TEXT,
    ModerationStatus    INTEGER NOT NULL DEFAULT 0,
    ClientMessageId     TEXT
);

CREATE INDEX IX_ChatMessageCold_Conversation ON ChatMessageCold (ConversationId, MessageId);
CREATE INDEX IX_ChatMessageCold_DateTime ON ChatMessageCold (DateTime);
CREATE INDEX IX_ChatMessageCold_SenderId ON ChatMessageCold (SenderId);
CREATE INDEX IX_ChatMessageCold_ReceiverId ON ChatMessageCold (ReceiverId);
CREATE INDEX IX_ChatMessageCold_Unread ON ChatMessageCold (ConversationId, ReceiverId, MessageId)
    WHERE Unread = 1;

-- One row per side of a conversation (the seed's UserConversation).
CREATE TABLE UserConversation (
    UserId              INTEGER NOT NULL,
    ConversationId      TEXT    NOT NULL,
    SecondUserId        INTEGER NOT NULL,
    Archived            INTEGER NOT NULL DEFAULT 0,
    Pinned              INTEGER NOT NULL DEFAULT 0,
    LastMessageId       INTEGER,
    UnreadMessageCount  INTEGER NOT NULL DEFAULT 0,
    CreateDate          INTEGER NOT NULL,
    IsInitiatedByUser   INTEGER NOT NULL DEFAULT 0,
    Hidden              INTEGER NOT NULL DEFAULT 0,
    MetadataFlags       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (UserId, ConversationId)
) WITHOUT ROWID;

-- Opaque session tokens, stored only as hashes.
CREATE TABLE UserSession (
    TokenHash           TEXT    PRIMARY KEY,
    UserId              INTEGER NOT NULL,
    ExpiresAt           INTEGER NOT NULL,
    Revoked             INTEGER NOT NULL DEFAULT 0,
    Device              TEXT    NOT NULL DEFAULT '',
    CreatedAt           INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX IX_UserSession_UserId ON UserSession (UserId);

-- UserId has blocked BlockedUserId: BlockedUserId can no longer send to UserId.
CREATE TABLE UserBlock (
    UserId              INTEGER NOT NULL,
    BlockedUserId       INTEGER NOT NULL,
    CreatedAt           INTEGER NOT NULL,
    PRIMARY KEY (UserId, BlockedUserId)
) WITHOUT ROWID;

-- User flags, the moderation queue's input; one flag per message and user.
CREATE TABLE MessageFlag (
    FlagId              INTEGER PRIMARY KEY,
    MessageId           INTEGER NOT NULL,
    UserId              INTEGER NOT NULL,
    Reason              TEXT    NOT NULL,
    CreatedAt           INTEGER NOT NULL,
    UNIQUE (MessageId, UserId)
);

CREATE INDEX IX_MessageFlag_CreatedAt ON MessageFlag (CreatedAt);

-- "Delete for me": the message stays for the other participant.
CREATE TABLE MessageDeletedForUser (
    UserId              INTEGER NOT NULL,
    MessageId           INTEGER NOT NULL,
    DeletedAt           INTEGER NOT NULL,
    PRIMARY KEY (UserId, MessageId)
) WITHOUT ROWID;

-- Idempotent send: a retried client message id finds the message it already created.
CREATE TABLE MessageIdempotency (
    SenderId            INTEGER NOT NULL,
    ClientMessageId     TEXT    NOT NULL,
    MessageId           INTEGER NOT NULL,
    IsFirst             INTEGER NOT NULL,
    PRIMARY KEY (SenderId, ClientMessageId)
) WITHOUT ROWID;

-- Each user's durable event sequence: Payload is the JSON of a parley.shared.events Event.
-- A rowid table (appends at the end) with a small unique index, rather than WITHOUT ROWID:
-- payloads carry message bodies, and wide rows make a clustered key slow to insert into.
CREATE TABLE UserEvent (
    EventId             INTEGER PRIMARY KEY,
    UserId              INTEGER NOT NULL,
    Seq                 INTEGER NOT NULL,
    CreatedAt           INTEGER NOT NULL,
    Payload             TEXT    NOT NULL,
    UNIQUE (UserId, Seq)
);
