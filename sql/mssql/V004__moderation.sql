-- Parley on SQL Server, step 4: the moderation pipeline, as sql/sqlite/V002 has it:
-- automatic decisions, the human review queue, votes and leases, the audit log and the
-- labels confirmed by reviewers (the only message texts kept for training).
--
-- The durable queue is dbo.ChatMessage rows whose ModerationStatus is still 0
-- (unspecified). A memory-optimized table has no filtered index, so a range index on
-- (ModerationStatus, MessageId) stands in for SQLite's partial one: the worker's scan and
-- the backlog count seek to status 0 and cost what the backlog is, not the table.
-- Adding an index to a memory-optimized table rebuilds it in memory (offline): on a large
-- installation run this upgrade in a quiet hour.
--
-- The new tables are disk-based. Every procedure that writes them also reaches disk
-- objects a natively compiled module cannot (dbo.ChatMessageAll for a message that may be
-- cold, dbo.MessageFlag, dbo.MessageDeletedForUser), so memory-optimizing them would buy
-- no native procedure and cost memory; and they are history, not hot state: one decision
-- per message ever sent, an append-only audit log, review items kept for the metrics.
-- No filtered indexes: writing a table that has one needs session SET options
-- (QUOTED_IDENTIFIER, ANSI_NULLS, ARITHABORT...) that not every ODBC driver sets; a key
-- that leads with State serves the open queue as well.
--
-- Write-once, every statement guarded (see V001).

IF NOT EXISTS (
    SELECT 1 FROM sys.indexes
    WHERE object_id = OBJECT_ID(N'dbo.ChatMessage') AND name = N'IX_ChatMessage_Unmoderated'
)
    -- Through sp_executesql only because sqlfluff's T-SQL grammar (the parser these
    -- files are held to) lacks ALTER TABLE ... ADD INDEX, the one way to index a
    -- memory-optimized table after it is created.
    EXEC sys.sp_executesql
        N'ALTER TABLE dbo.ChatMessage
        ADD INDEX IX_ChatMessage_Unmoderated NONCLUSTERED (ModerationStatus, MessageId);';
GO

-- One automatic decision per message. The primary key is what makes applying a decision
-- idempotent: a restarted worker that decides a message again cannot record it twice.
IF OBJECT_ID(N'dbo.ModerationDecision', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.ModerationDecision (
        MessageId bigint NOT NULL,
        Status tinyint NOT NULL,
        Verdict varchar(16) NOT NULL,
        Band varchar(32) NOT NULL,
        Overall float NOT NULL,
        Category nvarchar(64) NULL,
        RuleName nvarchar(400) NULL,
        Tier tinyint NOT NULL,
        Reason nvarchar(1000) NOT NULL CONSTRAINT DF_ModerationDecision_Reason DEFAULT (N''),
        ModelVersion nvarchar(128) NOT NULL CONSTRAINT DF_ModerationDecision_ModelVersion DEFAULT (N''),
        CommittedAt datetime2(6) NOT NULL,
        DecidedAt datetime2(6) NOT NULL,
        CONSTRAINT PK_ModerationDecision PRIMARY KEY CLUSTERED (MessageId)
    );
    -- The latency metric reads the most recent decisions.
    CREATE NONCLUSTERED INDEX IX_ModerationDecision_DecidedAt
    ON dbo.ModerationDecision (DecidedAt) INCLUDE (CommittedAt);
END;
GO

-- Items waiting for (or decided by) human reviewers; one per message. ClaimedBy and
-- LeaseUntil are the lease of the moderator working on it.
IF OBJECT_ID(N'dbo.ReviewItem', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.ReviewItem (
        ItemId bigint IDENTITY (1, 1) NOT NULL,
        MessageId bigint NOT NULL,
        Source varchar(16) NOT NULL,
        Priority int NOT NULL,
        Category nvarchar(64) NULL,
        Reason nvarchar(1000) NOT NULL CONSTRAINT DF_ReviewItem_Reason DEFAULT (N''),
        FlagCount int NOT NULL CONSTRAINT DF_ReviewItem_FlagCount DEFAULT (0),
        VotesNeeded int NOT NULL,
        State varchar(16) NOT NULL CONSTRAINT DF_ReviewItem_State DEFAULT ('open'),
        ClaimedBy bigint NULL,
        LeaseUntil datetime2(6) NULL,
        Outcome varchar(16) NULL,
        OutcomeCategory nvarchar(64) NULL,
        CreatedAt datetime2(6) NOT NULL,
        ResolvedAt datetime2(6) NULL,
        CONSTRAINT PK_ReviewItem PRIMARY KEY CLUSTERED (ItemId),
        CONSTRAINT UQ_ReviewItem_MessageId UNIQUE NONCLUSTERED (MessageId),
        CONSTRAINT CK_ReviewItem_Source CHECK (Source IN ('model', 'flag', 'control')),
        CONSTRAINT CK_ReviewItem_State CHECK (State IN ('open', 'resolved')),
        CONSTRAINT CK_ReviewItem_Outcome CHECK (Outcome IN ('approve', 'restrict', 'remove'))
    );
    -- ListReviewQueue and ClaimReviewItem: the items in one state by priority, then
    -- oldest first; the metrics and the open count seek to a state too.
    CREATE NONCLUSTERED INDEX IX_ReviewItem_Queue
    ON dbo.ReviewItem (State, Priority DESC, ItemId)
    INCLUDE (Source, Category, ClaimedBy, LeaseUntil);
END;
GO

IF OBJECT_ID(N'dbo.ReviewVote', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.ReviewVote (
        ItemId bigint NOT NULL,
        ModeratorId bigint NOT NULL,
        Vote varchar(16) NOT NULL,
        Category nvarchar(64) NULL,
        CreatedAt datetime2(6) NOT NULL,
        CONSTRAINT PK_ReviewVote PRIMARY KEY CLUSTERED (ItemId, ModeratorId),
        CONSTRAINT CK_ReviewVote_Vote CHECK (Vote IN ('approve', 'restrict', 'remove'))
    );
END;
GO

-- Every moderator action, append-only (ActorId NULL for the pipeline itself).
IF OBJECT_ID(N'dbo.ModerationAudit', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.ModerationAudit (
        AuditId bigint IDENTITY (1, 1) NOT NULL,
        ActorId bigint NULL,
        Action nvarchar(64) NOT NULL,
        TargetKind varchar(16) NOT NULL,
        TargetId bigint NOT NULL,
        Detail nvarchar(2000) NOT NULL CONSTRAINT DF_ModerationAudit_Detail DEFAULT (N''),
        CreatedAt datetime2(6) NOT NULL,
        CONSTRAINT PK_ModerationAudit PRIMARY KEY CLUSTERED (AuditId)
    );
    CREATE NONCLUSTERED INDEX IX_ModerationAudit_Actor ON dbo.ModerationAudit (ActorId, AuditId);
END;
GO

-- Labels confirmed by human review: the privacy rule of the original keeps only flagged
-- or reviewed texts for training, and this table is the only place they are copied to.
IF OBJECT_ID(N'dbo.TrainingExample', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.TrainingExample (
        MessageId bigint NOT NULL,
        Text nvarchar(1024) NOT NULL,
        Toxic bit NOT NULL,
        Category nvarchar(64) NULL,
        Source varchar(16) NOT NULL,
        CreatedAt datetime2(6) NOT NULL,
        CONSTRAINT PK_TrainingExample PRIMARY KEY CLUSTERED (MessageId)
    );
END;
GO
