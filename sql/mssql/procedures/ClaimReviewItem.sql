-- ClaimReviewItem: a moderator takes a lease on review item @ItemId until @LeaseUntil,
-- or, when @ItemId is NULL, on the next item (highest priority, then oldest) matching
-- the filter (@State, @Source, @Category, @MinPriority as in ListReviewQueue) that is
-- not leased to someone else and that this moderator has not voted on. Audited as
-- "claim". Returns the item as dbo.ReviewItemRows does.
--
-- 51000 (NOT_FOUND): no such item, or nothing to claim. 51006 (CONFLICT): the item is
-- resolved, another moderator's lease is live, or this moderator already voted on it.
-- Two moderators claiming the next item at once do not get the same one: the candidate
-- is read with UPDLOCK and READPAST, so the second skips the row the first is taking.
--
-- Interpreted: the review tables and the audit log are on disk, the message may be cold.
CREATE OR ALTER PROCEDURE dbo.ClaimReviewItem
    @ModeratorId bigint,
    @ItemId bigint,
    @LeaseUntil datetime2(6),
    @Now datetime2(6),
    @State varchar(16),
    @Source varchar(16),
    @Category nvarchar(64),
    @MinPriority int
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    CREATE TABLE #ReviewItems (Ord int IDENTITY (1, 1) PRIMARY KEY, ItemId bigint NOT NULL);
    DECLARE @Found bigint;
    DECLARE @ItemState varchar(16);
    DECLARE @Holder bigint;
    DECLARE @Lease datetime2(6);
    DECLARE @Refusal nvarchar(200);

    BEGIN TRANSACTION;
    IF @ItemId IS NULL
    BEGIN
        SELECT TOP (1) @ItemId = i.ItemId
        FROM dbo.ReviewItem AS i WITH (UPDLOCK, READPAST)
        WHERE
            i.State = @State
            AND i.Priority >= @MinPriority
            AND (@Source IS NULL OR i.Source = @Source)
            AND (@Category IS NULL OR i.Category = @Category)
            AND (i.ClaimedBy IS NULL OR i.ClaimedBy = @ModeratorId OR i.LeaseUntil <= @Now)
            AND NOT EXISTS (
                SELECT 1 FROM dbo.ReviewVote AS v
                WHERE v.ItemId = i.ItemId AND v.ModeratorId = @ModeratorId
            )
        ORDER BY i.Priority DESC, i.ItemId
        OPTION (RECOMPILE);
        IF @ItemId IS NULL
            THROW 51000, N'Nothing in the review queue to claim.', 1;
    END;

    SELECT
        @Found = i.ItemId,
        @ItemState = i.State,
        @Holder = i.ClaimedBy,
        @Lease = i.LeaseUntil
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
    IF @Holder IS NOT NULL AND @Holder <> @ModeratorId AND @Lease > @Now
    BEGIN
        SET @Refusal = CONCAT(N'Review item ', @ItemId, N' is claimed by another moderator.');
        THROW 51006, @Refusal, 1;
    END;
    IF EXISTS (
        SELECT 1 FROM dbo.ReviewVote AS v
        WHERE v.ItemId = @ItemId AND v.ModeratorId = @ModeratorId
    )
    BEGIN
        SET @Refusal = CONCAT(N'You already voted on review item ', @ItemId, N'.');
        THROW 51006, @Refusal, 1;
    END;

    UPDATE dbo.ReviewItem
    SET ClaimedBy = @ModeratorId, LeaseUntil = @LeaseUntil
    WHERE ItemId = @ItemId;
    INSERT dbo.ModerationAudit (ActorId, Action, TargetKind, TargetId, Detail, CreatedAt)
    VALUES (@ModeratorId, N'claim', 'review_item', @ItemId, N'', @Now);

    INSERT #ReviewItems (ItemId) VALUES (@ItemId);
    EXEC dbo.ReviewItemRows;
    COMMIT TRANSACTION;
END;
GO
