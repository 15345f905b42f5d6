-- ApplyModerationDecisions: the moderation worker's automatic decisions for a batch of
-- messages, in one transaction. @Decisions is a JSON array of objects with the fields of
-- parley.server.store.moderation.DecisionRecord (message_id, status, verdict, band,
-- overall, category, rule, tier, reason, model_version, review_source, review_priority).
-- JSON, not a table-valued parameter: pyodbc binds it as one nvarchar(MAX) with every
-- driver (FreeTDS has no table-valued parameters) and needs no user-defined table type
-- that would pin the procedure against ALTER. Texts longer than their columns are cut
-- to fit, never refused: a batch failing on one long reason would stall the queue.
--
-- For each message still unspecified, in the order given: the status is set and the
-- sender (and the receiver, when it may see the message) told through
-- dbo.ApplyModerationChange; a held first message is released when approved or flagged,
-- rejected when removed, and stays held while it waits for review; the decision is
-- recorded; a review_source queues it for review. A message no longer unspecified (or
-- gone, or named twice) is skipped and nothing is written for it, so a worker that
-- crashed and decides the same messages again neither loses nor double-applies one.
--
-- Result sets: the events raised (UserId, Seq, Payload), then MessageId and Applied (bit)
-- per decision, in the order given.
--
-- Interpreted: dbo.ApplyModerationChange, dbo.ModerationDecision and dbo.ReviewItem are
-- out of a native module's reach, and the batch is read with OPENJSON.
CREATE OR ALTER PROCEDURE dbo.ApplyModerationDecisions
    @Decisions nvarchar(MAX),
    @VotesNeeded int,
    @Now datetime2(6)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    CREATE TABLE #Events (Ord int IDENTITY (1, 1) PRIMARY KEY, UserId bigint, Seq bigint);
    CREATE TABLE #Batch (
        Ord int PRIMARY KEY,
        MessageId bigint NOT NULL,
        Status tinyint NOT NULL,
        Verdict varchar(16) NOT NULL,
        Band varchar(32) NOT NULL,
        Overall float NOT NULL,
        Category nvarchar(64) NULL,
        RuleName nvarchar(400) NULL,
        Tier tinyint NOT NULL,
        Reason nvarchar(1000) NOT NULL,
        ModelVersion nvarchar(128) NOT NULL,
        ReviewSource varchar(16) NULL,
        ReviewPriority int NOT NULL,
        Applied bit NOT NULL DEFAULT (0)
    );

    INSERT #Batch (
        Ord, MessageId, Status, Verdict, Band, Overall, Category, RuleName, Tier, Reason,
        ModelVersion, ReviewSource, ReviewPriority
    )
    SELECT
        CAST(d.[key] AS int), r.MessageId, r.Status, r.Verdict, r.Band, r.Overall,
        LEFT(r.Category, 64), LEFT(r.RuleName, 400), r.Tier, LEFT(COALESCE(r.Reason, N''), 1000),
        LEFT(COALESCE(r.ModelVersion, N''), 128), r.ReviewSource, COALESCE(r.ReviewPriority, 0)
    FROM OPENJSON(@Decisions) AS d
    CROSS APPLY OPENJSON (d.value) WITH (
        MessageId bigint '$.message_id',
        Status tinyint '$.status',
        Verdict varchar(16) '$.verdict',
        Band varchar(32) '$.band',
        Overall float '$.overall',
        Category nvarchar(MAX) '$.category',
        RuleName nvarchar(MAX) '$.rule',
        Tier tinyint '$.tier',
        Reason nvarchar(MAX) '$.reason',
        ModelVersion nvarchar(MAX) '$.model_version',
        ReviewSource varchar(16) '$.review_source',
        ReviewPriority int '$.review_priority'
    ) AS r;

    DECLARE @Ord int = 0;
    DECLARE @MessageId bigint;
    DECLARE @Status tinyint;
    DECLARE @Category nvarchar(64);
    DECLARE @Reason nvarchar(1000);
    DECLARE @ReviewSource varchar(16);
    DECLARE @ReviewPriority int;
    DECLARE @OldPreModeration tinyint;
    DECLARE @OldModeration tinyint;
    DECLARE @SentAt datetime2(6);
    DECLARE @NewPreModeration tinyint;

    BEGIN TRANSACTION;
    WHILE 1 = 1
    BEGIN
        SELECT TOP (1)
            @Ord = b.Ord,
            @MessageId = b.MessageId,
            @Status = b.Status,
            @Category = b.Category,
            @Reason = b.Reason,
            @ReviewSource = b.ReviewSource,
            @ReviewPriority = b.ReviewPriority
        FROM #Batch AS b
        WHERE b.Ord > @Ord
        ORDER BY b.Ord;
        IF @@ROWCOUNT = 0
            BREAK;

        SET @OldPreModeration = NULL;
        SET @OldModeration = NULL;
        SELECT
            @OldPreModeration = PreModerationStatus,
            @OldModeration = ModerationStatus,
            @SentAt = DateTime
        FROM dbo.ChatMessageAll
        WHERE MessageId = @MessageId;
        IF @OldModeration IS NULL OR @OldModeration <> 0
            CONTINUE;

        -- Held first messages: released or rejected here, unless sent on to review.
        SET @NewPreModeration = CASE
            WHEN @OldPreModeration <> 1 THEN @OldPreModeration
            WHEN @Status = 4 THEN 3
            WHEN @Status IN (1, 2) THEN 2
            ELSE 1
        END;
        EXEC dbo.ApplyModerationChange
            @MessageId = @MessageId,
            @NewPreModerationStatus = @NewPreModeration,
            @NewModerationStatus = @Status,
            @Reason = @Reason,
            @Now = @Now;

        INSERT dbo.ModerationDecision (
            MessageId, Status, Verdict, Band, Overall, Category, RuleName, Tier, Reason,
            ModelVersion, CommittedAt, DecidedAt
        )
        SELECT
            b.MessageId, b.Status, b.Verdict, b.Band, b.Overall, b.Category, b.RuleName, b.Tier,
            b.Reason, b.ModelVersion, @SentAt, @Now
        FROM #Batch AS b
        WHERE b.Ord = @Ord;

        IF @ReviewSource IS NOT NULL
            EXEC dbo.EnqueueReviewItem
                @MessageId = @MessageId,
                @Source = @ReviewSource,
                @Priority = @ReviewPriority,
                @Category = @Category,
                @Reason = @Reason,
                @FlagCount = 0,
                @VotesNeeded = @VotesNeeded,
                @Now = @Now;

        UPDATE #Batch SET Applied = 1 WHERE Ord = @Ord;
    END;
    COMMIT TRANSACTION;

    SELECT e.UserId, e.Seq, e.Payload
    FROM #Events AS l
    INNER JOIN dbo.UserEvent AS e ON l.UserId = e.UserId AND l.Seq = e.Seq
    ORDER BY l.Ord;

    SELECT b.MessageId, b.Applied FROM #Batch AS b ORDER BY b.Ord;
END;
GO
