-- Parley on SQL Server, step 3: the disk-based tables.
--
-- dbo.ChatMessageCold holds messages moved out of the memory-optimized dbo.ChatMessage
-- by dbo.ArchiveMessages: the same columns, the same ids. It is partitioned by month of
-- DateTime (RANGE RIGHT: a boundary is the first instant of a month), so old months can
-- be switched out, compressed or put on cheaper storage without touching the rest;
-- dbo.EnsureColdPartitions adds a boundary per month ahead of need (splitting an empty
-- partition is a metadata operation). The clustered key is the message id (with the
-- partitioning column, which SQL Server requires in a unique partitioned index);
-- non-clustered indexes serve reads by time, by user and by conversation.
--
-- MessageFlag and MessageDeletedForUser are small and may name cold messages, which the
-- interpreted procedures join on: they live on disk too.
--
-- Write-once, every statement guarded (see V001).

IF NOT EXISTS (SELECT 1 FROM sys.partition_functions WHERE name = N'pfChatMessageMonth')
    CREATE PARTITION FUNCTION pfChatMessageMonth (datetime2(6))
    AS RANGE RIGHT FOR VALUES ('2024-01-01T00:00:00');
GO

IF NOT EXISTS (SELECT 1 FROM sys.partition_schemes WHERE name = N'psChatMessageMonth')
    CREATE PARTITION SCHEME psChatMessageMonth
    AS PARTITION pfChatMessageMonth ALL TO ([PRIMARY]);
GO

IF OBJECT_ID(N'dbo.ChatMessageCold', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.ChatMessageCold (
        MessageId bigint NOT NULL,
        SenderId bigint NOT NULL,
        ReceiverId bigint NOT NULL,
        ConversationId varchar(41) COLLATE Latin1_General_100_BIN2 NOT NULL,
        Text nvarchar(1024) NOT NULL,
        DateTime datetime2(6) NOT NULL,
        Deleted bit NOT NULL,
        PreModerationStatus tinyint NOT NULL,
        Unread bit NOT NULL,
        UnreadNotified bit NOT NULL,
        MessageType int NOT NULL,
        PayloadJson nvarchar(4000) NULL,
        ModerationStatus tinyint NOT NULL,
        ClientMessageId nvarchar(128) NULL,
        CONSTRAINT PK_ChatMessageCold PRIMARY KEY CLUSTERED (MessageId, DateTime)
        WITH (DATA_COMPRESSION = PAGE) ON psChatMessageMonth (DateTime)
    ) ON psChatMessageMonth (DateTime);
END;
GO

IF NOT EXISTS (
    SELECT 1 FROM sys.indexes
    WHERE object_id = OBJECT_ID(N'dbo.ChatMessageCold') AND name = N'IX_ChatMessageCold_DateTime'
)
    CREATE NONCLUSTERED INDEX IX_ChatMessageCold_DateTime
    ON dbo.ChatMessageCold (DateTime)
    WITH (DATA_COMPRESSION = PAGE) ON psChatMessageMonth (DateTime);
GO

IF NOT EXISTS (
    SELECT 1 FROM sys.indexes
    WHERE object_id = OBJECT_ID(N'dbo.ChatMessageCold') AND name = N'IX_ChatMessageCold_SenderId'
)
    CREATE NONCLUSTERED INDEX IX_ChatMessageCold_SenderId
    ON dbo.ChatMessageCold (SenderId, DateTime)
    WITH (DATA_COMPRESSION = PAGE) ON psChatMessageMonth (DateTime);
GO

IF NOT EXISTS (
    SELECT 1 FROM sys.indexes
    WHERE object_id = OBJECT_ID(N'dbo.ChatMessageCold') AND name = N'IX_ChatMessageCold_ReceiverId'
)
    CREATE NONCLUSTERED INDEX IX_ChatMessageCold_ReceiverId
    ON dbo.ChatMessageCold (ReceiverId, DateTime)
    WITH (DATA_COMPRESSION = PAGE) ON psChatMessageMonth (DateTime);
GO

-- History pages walk one conversation backwards by id.
IF NOT EXISTS (
    SELECT 1 FROM sys.indexes
    WHERE
        object_id = OBJECT_ID(N'dbo.ChatMessageCold')
        AND name = N'IX_ChatMessageCold_Conversation'
)
    CREATE NONCLUSTERED INDEX IX_ChatMessageCold_Conversation
    ON dbo.ChatMessageCold (ConversationId, MessageId DESC)
    WITH (DATA_COMPRESSION = PAGE) ON psChatMessageMonth (DateTime);
GO

-- User flags, the moderation queue's input; one flag per message and user.
IF OBJECT_ID(N'dbo.MessageFlag', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.MessageFlag (
        FlagId bigint IDENTITY (1, 1) NOT NULL,
        MessageId bigint NOT NULL,
        UserId bigint NOT NULL,
        Reason nvarchar(400) NOT NULL,
        CreatedAt datetime2(6) NOT NULL,
        CONSTRAINT PK_MessageFlag PRIMARY KEY CLUSTERED (FlagId),
        CONSTRAINT UQ_MessageFlag_MessageUser UNIQUE NONCLUSTERED (MessageId, UserId)
    );
    CREATE NONCLUSTERED INDEX IX_MessageFlag_CreatedAt ON dbo.MessageFlag (CreatedAt);
END;
GO

-- "Delete for me": the message stays for the other participant.
IF OBJECT_ID(N'dbo.MessageDeletedForUser', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.MessageDeletedForUser (
        UserId bigint NOT NULL,
        MessageId bigint NOT NULL,
        DeletedAt datetime2(6) NOT NULL,
        CONSTRAINT PK_MessageDeletedForUser PRIMARY KEY CLUSTERED (UserId, MessageId)
    );
END;
GO
