-- Parley on SQL Server, step 2: the hot, memory-optimized tables.
--
-- Column names are the seed's (ChatUser, ChatMessage, UserConversation) and match
-- sql/sqlite/ one for one, so both stores read the same way. Times are datetime2(6) in
-- UTC; booleans are bit; a conversation id is the text "low-high" of the two user ids
-- (parley.shared.conversations.conversation_id). Key columns compared by the natively
-- compiled procedures use a BIN2 collation: exact, code-point ordered comparisons (the
-- *Folded columns are case-folded by the Python side, which knows Unicode casefold()).
--
-- Index sizing, for the seed's load (about 480,000 active users and over 4 million
-- messages a day); docs/mssql.md explains how to resize for other loads. A hash index
-- wants BUCKET_COUNT between one and two times the distinct keys it will hold (SQL Server
-- rounds up to a power of two; each bucket costs 8 bytes whether used or not). Range
-- (NONCLUSTERED) indexes need no sizing and serve ordered and prefix scans.
--   ChatUser            ~1M accounts           hash on UserId, 2,097,152 buckets
--   UserSession         ~1M live sessions      hash on TokenHash, 2,097,152 buckets
--   ChatMessage         hot window of ~7 days at 4M/day = ~28M rows
--                                              hash on MessageId, 33,554,432 buckets
--   MessageIdempotency  one row per message of the event retention window: as ChatMessage
--   UserBlock           ~100k blocks           hash on the pair, 262,144 buckets
--   UserConversation    ~10M sides             range index (a user's sides are scanned)
--   UserEvent           ~16M per day kept      range index (a user's events are scanned
--                       for the retention      by sequence); keep retention short (1-2
--                       window                 days) on SQL Server, see docs/mssql.md
--
-- Write-once, every statement guarded (see V001).

IF OBJECT_ID(N'dbo.ChatUser', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.ChatUser (
        UserId bigint IDENTITY (1, 1) NOT NULL,
        Username nvarchar(128) NOT NULL,
        UsernameFolded nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
        DisplayName nvarchar(256) NOT NULL,
        DisplayNameFolded nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
        PasswordHash nvarchar(512) NOT NULL,
        Role varchar(16) NOT NULL CONSTRAINT DF_ChatUser_Role DEFAULT ('user'),
        SendingBlocked bit NOT NULL CONSTRAINT DF_ChatUser_SendingBlocked DEFAULT (0),
        SendingBlockedReason nvarchar(400) NOT NULL
            CONSTRAINT DF_ChatUser_SendingBlockedReason DEFAULT (N''),
        LastEventSeq bigint NOT NULL CONSTRAINT DF_ChatUser_LastEventSeq DEFAULT (0),
        CreatedAt datetime2(6) NOT NULL,
        CONSTRAINT PK_ChatUser PRIMARY KEY NONCLUSTERED HASH (UserId)
            WITH (BUCKET_COUNT = 2097152),
        CONSTRAINT UQ_ChatUser_UsernameFolded UNIQUE NONCLUSTERED (UsernameFolded),
        CONSTRAINT CK_ChatUser_Role CHECK (Role IN ('user', 'moderator', 'admin')),
        INDEX IX_ChatUser_DisplayNameFolded NONCLUSTERED (DisplayNameFolded)
    ) WITH (MEMORY_OPTIMIZED = ON, DURABILITY = SCHEMA_AND_DATA);
END;
GO

-- Hot messages. IDENTITY never hands out an id twice, so ids stay unique after rows move
-- to dbo.ChatMessageCold (which keeps them).
IF OBJECT_ID(N'dbo.ChatMessage', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.ChatMessage (
        MessageId bigint IDENTITY (1, 1) NOT NULL,
        SenderId bigint NOT NULL,
        ReceiverId bigint NOT NULL,
        ConversationId varchar(41) COLLATE Latin1_General_100_BIN2 NOT NULL,
        Text nvarchar(1024) NOT NULL,
        DateTime datetime2(6) NOT NULL,
        Deleted bit NOT NULL CONSTRAINT DF_ChatMessage_Deleted DEFAULT (0),
        PreModerationStatus tinyint NOT NULL
            CONSTRAINT DF_ChatMessage_PreModerationStatus DEFAULT (0),
        Unread bit NOT NULL CONSTRAINT DF_ChatMessage_Unread DEFAULT (1),
        UnreadNotified bit NOT NULL CONSTRAINT DF_ChatMessage_UnreadNotified DEFAULT (0),
        MessageType int NOT NULL CONSTRAINT DF_ChatMessage_MessageType DEFAULT (0),
        PayloadJson nvarchar(4000) NULL,
        ModerationStatus tinyint NOT NULL CONSTRAINT DF_ChatMessage_ModerationStatus DEFAULT (0),
        ClientMessageId nvarchar(128) NULL,
        CONSTRAINT PK_ChatMessage PRIMARY KEY NONCLUSTERED HASH (MessageId)
            WITH (BUCKET_COUNT = 33554432),
        INDEX IX_ChatMessage_Conversation NONCLUSTERED (ConversationId, MessageId),
        INDEX IX_ChatMessage_DateTime NONCLUSTERED (DateTime)
    ) WITH (MEMORY_OPTIMIZED = ON, DURABILITY = SCHEMA_AND_DATA);
END;
GO

-- One row per side of a conversation (the seed's UserConversation). A range primary key:
-- GetChatState scans all sides of one user, point lookups use both columns.
IF OBJECT_ID(N'dbo.UserConversation', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.UserConversation (
        UserId bigint NOT NULL,
        ConversationId varchar(41) COLLATE Latin1_General_100_BIN2 NOT NULL,
        SecondUserId bigint NOT NULL,
        Archived bit NOT NULL CONSTRAINT DF_UserConversation_Archived DEFAULT (0),
        Pinned bit NOT NULL CONSTRAINT DF_UserConversation_Pinned DEFAULT (0),
        LastMessageId bigint NULL,
        UnreadMessageCount int NOT NULL CONSTRAINT DF_UserConversation_Unread DEFAULT (0),
        CreateDate datetime2(6) NOT NULL,
        IsInitiatedByUser bit NOT NULL CONSTRAINT DF_UserConversation_Initiated DEFAULT (0),
        Hidden bit NOT NULL CONSTRAINT DF_UserConversation_Hidden DEFAULT (0),
        MetadataFlags int NOT NULL CONSTRAINT DF_UserConversation_MetadataFlags DEFAULT (0),
        CONSTRAINT PK_UserConversation PRIMARY KEY NONCLUSTERED (UserId, ConversationId)
    ) WITH (MEMORY_OPTIMIZED = ON, DURABILITY = SCHEMA_AND_DATA);
END;
GO

-- Opaque session tokens, stored only as hashes; read on every connection.
IF OBJECT_ID(N'dbo.UserSession', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.UserSession (
        TokenHash varchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
        UserId bigint NOT NULL,
        ExpiresAt datetime2(6) NOT NULL,
        Revoked bit NOT NULL CONSTRAINT DF_UserSession_Revoked DEFAULT (0),
        Device nvarchar(200) NOT NULL CONSTRAINT DF_UserSession_Device DEFAULT (N''),
        CreatedAt datetime2(6) NOT NULL,
        CONSTRAINT PK_UserSession PRIMARY KEY NONCLUSTERED HASH (TokenHash)
            WITH (BUCKET_COUNT = 2097152),
        INDEX IX_UserSession_UserId NONCLUSTERED (UserId)
    ) WITH (MEMORY_OPTIMIZED = ON, DURABILITY = SCHEMA_AND_DATA);
END;
GO

-- UserId has blocked BlockedUserId: BlockedUserId can no longer send to UserId. Read by
-- SendMessage on every send, hence memory-optimized.
IF OBJECT_ID(N'dbo.UserBlock', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.UserBlock (
        UserId bigint NOT NULL,
        BlockedUserId bigint NOT NULL,
        CreatedAt datetime2(6) NOT NULL,
        CONSTRAINT PK_UserBlock PRIMARY KEY NONCLUSTERED HASH (UserId, BlockedUserId)
            WITH (BUCKET_COUNT = 262144)
    ) WITH (MEMORY_OPTIMIZED = ON, DURABILITY = SCHEMA_AND_DATA);
END;
GO

-- Idempotent send: a retried client message id finds the message it already created.
-- Rows older than the event retention are dropped by PruneEvents: a client retries within
-- seconds, and keeping one row per message ever sent would fill the memory.
IF OBJECT_ID(N'dbo.MessageIdempotency', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.MessageIdempotency (
        SenderId bigint NOT NULL,
        ClientMessageId nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
        MessageId bigint NOT NULL,
        IsFirst bit NOT NULL,
        CreatedAt datetime2(6) NOT NULL,
        CONSTRAINT PK_MessageIdempotency PRIMARY KEY NONCLUSTERED HASH (SenderId, ClientMessageId)
            WITH (BUCKET_COUNT = 33554432),
        INDEX IX_MessageIdempotency_CreatedAt NONCLUSTERED (CreatedAt)
    ) WITH (MEMORY_OPTIMIZED = ON, DURABILITY = SCHEMA_AND_DATA);
END;
GO

-- Each user's durable event sequence: Payload is the JSON of a parley.shared.events
-- Event; ChatUser.LastEventSeq is the last Seq handed out for the user.
IF OBJECT_ID(N'dbo.UserEvent', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.UserEvent (
        UserId bigint NOT NULL,
        Seq bigint NOT NULL,
        CreatedAt datetime2(6) NOT NULL,
        Payload nvarchar(MAX) NOT NULL,
        CONSTRAINT PK_UserEvent PRIMARY KEY NONCLUSTERED (UserId, Seq),
        INDEX IX_UserEvent_CreatedAt NONCLUSTERED (CreatedAt)
    ) WITH (MEMORY_OPTIMIZED = ON, DURABILITY = SCHEMA_AND_DATA);
END;
GO
