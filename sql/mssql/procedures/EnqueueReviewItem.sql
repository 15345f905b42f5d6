-- dbo.EnqueueReviewItem: put a message in the human review queue, inside the caller's
-- transaction. One item per message: a later source can only raise its priority and flag
-- count, keeps the first category, and a user flag takes over the source and the reason
-- (a flag says more than the model's guess, and anything says more than a control
-- sample). A resolved item stays resolved. The same rules as the SQLite store's.
--
-- Interpreted: dbo.ReviewItem is disk-based; called by interpreted procedures only.
CREATE OR ALTER PROCEDURE dbo.EnqueueReviewItem
    @MessageId bigint,
    @Source varchar(16),
    @Priority int,
    @Category nvarchar(64),
    @Reason nvarchar(1000),
    @FlagCount int,
    @VotesNeeded int,
    @Now datetime2(6)
AS
BEGIN
    SET NOCOUNT ON;
    IF EXISTS (
        SELECT 1 FROM dbo.ReviewItem WITH (UPDLOCK, HOLDLOCK) WHERE MessageId = @MessageId
    )
        UPDATE dbo.ReviewItem
        SET
            Priority = CASE WHEN @Priority > Priority THEN @Priority ELSE Priority END,
            FlagCount = CASE WHEN @FlagCount > FlagCount THEN @FlagCount ELSE FlagCount END,
            Category = COALESCE(Category, @Category),
            Reason = CASE WHEN @Source = 'flag' THEN @Reason ELSE Reason END,
            Source = CASE WHEN @Source = 'flag' OR Source = 'control' THEN @Source ELSE Source END
        WHERE MessageId = @MessageId;
    ELSE
        INSERT dbo.ReviewItem (
            MessageId, Source, Priority, Category, Reason, FlagCount, VotesNeeded, CreatedAt
        )
        VALUES (
            @MessageId, @Source, @Priority, @Category, @Reason, @FlagCount, @VotesNeeded, @Now
        );
END;
GO
