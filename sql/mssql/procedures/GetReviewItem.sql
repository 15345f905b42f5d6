-- GetReviewItem: one review item with its message and votes, as dbo.ReviewItemRows
-- returns it (no rows when there is no such item).
--
-- Interpreted: the message may be cold and the review tables are on disk.
CREATE OR ALTER PROCEDURE dbo.GetReviewItem
    @ItemId bigint
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    CREATE TABLE #ReviewItems (Ord int IDENTITY (1, 1) PRIMARY KEY, ItemId bigint NOT NULL);
    BEGIN TRANSACTION;
    INSERT #ReviewItems (ItemId) SELECT i.ItemId FROM dbo.ReviewItem AS i WHERE i.ItemId = @ItemId;
    EXEC dbo.ReviewItemRows;
    COMMIT TRANSACTION;
END;
GO
