-- ListReviewQueue: review items in @State ('open' or 'resolved'), optionally of one
-- @Source and one @Category (NULL: any), with at least @MinPriority; highest priority
-- first, then oldest first; at most @Limit. Rows as dbo.ReviewItemRows returns them.
-- RECOMPILE: with the filter's values known, the plan drops the absent ones (a plan
-- cached for one combination would scan for another).
--
-- Interpreted: the messages may be cold and the review tables are on disk.
CREATE OR ALTER PROCEDURE dbo.ListReviewQueue
    @State varchar(16),
    @Source varchar(16),
    @Category nvarchar(64),
    @MinPriority int,
    @Limit int
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    CREATE TABLE #ReviewItems (Ord int IDENTITY (1, 1) PRIMARY KEY, ItemId bigint NOT NULL);
    BEGIN TRANSACTION;
    INSERT #ReviewItems (ItemId)
    SELECT TOP (@Limit) i.ItemId
    FROM dbo.ReviewItem AS i
    WHERE
        i.State = @State
        AND i.Priority >= @MinPriority
        AND (@Source IS NULL OR i.Source = @Source)
        AND (@Category IS NULL OR i.Category = @Category)
    ORDER BY i.Priority DESC, i.ItemId
    OPTION (RECOMPILE);
    EXEC dbo.ReviewItemRows;
    COMMIT TRANSACTION;
END;
GO
