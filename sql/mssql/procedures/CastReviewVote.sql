-- CastReviewVote: a moderator holding a live lease on review item @ItemId votes
-- @Vote ('approve', 'restrict' or 'remove', with an optional @Category) and gives the
-- lease up; audited as "vote:<vote>". When the item then has at least VotesNeeded votes
-- and one choice has more than any other (a tie waits for another vote), it is resolved
-- in the same transaction (ResolveReviewItem), by the rules of
-- parley.server.moderation.votes: the outcome's category is the one most named among the
-- winning votes (the earliest named on a tie); approve sets the message approved,
-- remove removed, restrict hidden when the category is one of @HiddenCategories (a JSON
-- array) and flagged otherwise; a held first message is released unless removed, which
-- rejects it. The sender (and the receiver, when it could or now can see the message) is
-- told through dbo.ApplyModerationChange, the confirmed label is kept in
-- dbo.TrainingExample and the resolution audited as "resolve:<outcome>".
--
-- 51000 (NOT_FOUND): no such item. 51006 (CONFLICT): the item is resolved, or this
-- moderator holds no live lease on it (never claimed, claimed by another, or expired).
--
-- Result sets: the events raised (UserId, Seq, Payload); Resolved (bit); the item and its
-- votes as dbo.ReviewItemRows returns them.
--
-- Interpreted: the message may be cold, the review tables are on disk, and the hidden
-- categories are read with OPENJSON.
CREATE OR ALTER PROCEDURE dbo.CastReviewVote
    @ModeratorId bigint,
    @ItemId bigint,
    @Vote varchar(16),
    @Category nvarchar(64),
    @Now datetime2(6),
    @HiddenCategories nvarchar(MAX)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    CREATE TABLE #Events (Ord int IDENTITY (1, 1) PRIMARY KEY, UserId bigint, Seq bigint);
    CREATE TABLE #ReviewItems (Ord int IDENTITY (1, 1) PRIMARY KEY, ItemId bigint NOT NULL);
    DECLARE @Found bigint;
    DECLARE @ItemState varchar(16);
    DECLARE @Holder bigint;
    DECLARE @Lease datetime2(6);
    DECLARE @VotesNeeded int;
    DECLARE @MessageId bigint;
    DECLARE @Source varchar(16);
    DECLARE @Refusal nvarchar(200);
    DECLARE @Votes int;
    DECLARE @TopCount int;
    DECLARE @Outcome varchar(16);
    DECLARE @OutcomeCategory nvarchar(64);
    DECLARE @Resolved bit = 0;
    DECLARE @OldPreModeration tinyint;
    DECLARE @OldModeration tinyint;
    DECLARE @Text nvarchar(1024);
    DECLARE @NewModeration tinyint;
    DECLARE @NewPreModeration tinyint;
    DECLARE @What nvarchar(64);
    DECLARE @Reason nvarchar(400);
    DECLARE @Action nvarchar(64);
    DECLARE @Counts TABLE (Vote varchar(16) PRIMARY KEY, Votes int NOT NULL);

    BEGIN TRANSACTION;
    SELECT
        @Found = i.ItemId,
        @ItemState = i.State,
        @Holder = i.ClaimedBy,
        @Lease = i.LeaseUntil,
        @VotesNeeded = i.VotesNeeded,
        @MessageId = i.MessageId,
        @Source = i.Source
    FROM dbo.ReviewItem AS i WITH (UPDLOCK, HOLDLOCK)
    WHERE i.ItemId = @ItemId;
    IF @Found IS NULL
    BEGIN
        SET @Refusal = CONCAT(N'No review item ', @ItemId, N'.');
        THROW 51000, @Refusal, 1;
    END;
    IF @ItemState <> 'open'
    BEGIN
        SET @Refusal = CONCAT(N'Review item ', @ItemId, N' is already resolved.');
        THROW 51006, @Refusal, 1;
    END;
    IF @Holder IS NULL OR @Holder <> @ModeratorId OR @Lease IS NULL OR @Lease <= @Now
    BEGIN
        SET @Refusal = CONCAT(
            N'Claim review item ', @ItemId, N' first (or again: the lease expired).'
        );
        THROW 51006, @Refusal, 1;
    END;

    INSERT dbo.ReviewVote (ItemId, ModeratorId, Vote, Category, CreatedAt)
    VALUES (@ItemId, @ModeratorId, @Vote, @Category, @Now);
    UPDATE dbo.ReviewItem SET ClaimedBy = NULL, LeaseUntil = NULL WHERE ItemId = @ItemId;
    SET @Action = CONCAT(N'vote:', @Vote);
    INSERT dbo.ModerationAudit (ActorId, Action, TargetKind, TargetId, Detail, CreatedAt)
    VALUES (@ModeratorId, @Action, 'review_item', @ItemId, COALESCE(@Category, N''), @Now);

    -- The tally (votes.tally): enough votes, and a single choice ahead of the others.
    INSERT @Counts (Vote, Votes)
    SELECT v.Vote, COUNT(*) FROM dbo.ReviewVote AS v WHERE v.ItemId = @ItemId GROUP BY v.Vote;
    SELECT @Votes = SUM(c.Votes), @TopCount = MAX(c.Votes) FROM @Counts AS c;
    IF @Votes >= @VotesNeeded AND (SELECT COUNT(*) FROM @Counts AS c WHERE c.Votes = @TopCount) = 1
    BEGIN
        SELECT @Outcome = c.Vote FROM @Counts AS c WHERE c.Votes = @TopCount;
        SELECT TOP (1) @OutcomeCategory = n.Category
        FROM (
            SELECT o.Category, COUNT(*) AS Named, MIN(o.Position) AS FirstNamed
            FROM (
                SELECT
                    v.Category,
                    ROW_NUMBER() OVER (ORDER BY v.CreatedAt, v.ModeratorId) AS Position
                FROM dbo.ReviewVote AS v
                WHERE v.ItemId = @ItemId AND v.Vote = @Outcome
            ) AS o
            WHERE o.Category IS NOT NULL AND o.Category <> N''
            GROUP BY o.Category
        ) AS n
        ORDER BY n.Named DESC, n.FirstNamed;
        SET @Resolved = 1;

        UPDATE dbo.ReviewItem
        SET
            State = 'resolved',
            Outcome = @Outcome,
            OutcomeCategory = @OutcomeCategory,
            ResolvedAt = @Now
        WHERE ItemId = @ItemId;

        SELECT
            @OldPreModeration = PreModerationStatus,
            @OldModeration = ModerationStatus,
            @Text = Text
        FROM dbo.ChatMessageAll
        WHERE MessageId = @MessageId;
        IF @OldModeration IS NOT NULL
        BEGIN
            -- votes.status_for and votes.reason_for.
            SET @NewModeration = CASE
                WHEN @Outcome = 'approve' THEN 1
                WHEN @Outcome = 'remove' THEN 4
                WHEN @OutcomeCategory IN (
                    SELECT CAST(j.value AS nvarchar(64)) COLLATE Latin1_General_100_BIN2
                    FROM OPENJSON(@HiddenCategories) AS j
                ) THEN 3
                ELSE 2
            END;
            SET @NewPreModeration = CASE
                WHEN @OldPreModeration = 0 THEN 0
                WHEN @Outcome = 'remove' THEN 3
                ELSE 2
            END;
            SET @What = REPLACE(COALESCE(@OutcomeCategory, N'harmful content'), N'_', N'-');
            SET @Reason = CASE
                WHEN @Outcome = 'remove' THEN CONCAT(N'Moderators removed your message for ', @What, N'.')
                WHEN @Outcome = 'restrict'
                    THEN CONCAT(N'Moderators restricted your message for ', @What, N'.')
                ELSE N''
            END;
            IF @NewModeration <> @OldModeration OR @NewPreModeration <> @OldPreModeration
                EXEC dbo.ApplyModerationChange
                    @MessageId = @MessageId,
                    @NewPreModerationStatus = @NewPreModeration,
                    @NewModerationStatus = @NewModeration,
                    @Reason = @Reason,
                    @Now = @Now;

            IF EXISTS (
                SELECT 1 FROM dbo.TrainingExample WITH (UPDLOCK, HOLDLOCK)
                WHERE MessageId = @MessageId
            )
                UPDATE dbo.TrainingExample
                SET
                    Toxic = CASE WHEN @Outcome = 'approve' THEN 0 ELSE 1 END,
                    Category = @OutcomeCategory
                WHERE MessageId = @MessageId;
            ELSE
                INSERT dbo.TrainingExample (MessageId, Text, Toxic, Category, Source, CreatedAt)
                VALUES (
                    @MessageId, @Text, CASE WHEN @Outcome = 'approve' THEN 0 ELSE 1 END,
                    @OutcomeCategory, @Source, @Now
                );
        END;

        SET @Action = CONCAT(N'resolve:', @Outcome);
        INSERT dbo.ModerationAudit (ActorId, Action, TargetKind, TargetId, Detail, CreatedAt)
        VALUES (NULL, @Action, 'message', @MessageId, COALESCE(@OutcomeCategory, N''), @Now);
    END;
    COMMIT TRANSACTION;

    SELECT e.UserId, e.Seq, e.Payload
    FROM #Events AS l
    INNER JOIN dbo.UserEvent AS e ON l.UserId = e.UserId AND l.Seq = e.Seq
    ORDER BY l.Ord;

    SELECT @Resolved AS Resolved;

    INSERT #ReviewItems (ItemId) VALUES (@ItemId);
    EXEC dbo.ReviewItemRows;
END;
GO
