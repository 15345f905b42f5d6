-- GetEventsAfter: up to @Limit events of any user after a log position (EventId), in
-- log order, for the event tail of each server; with @EventId NULL, only the log's
-- current end (where a tail starts). Positions are handed out at insert, before commit,
-- so a reader may see one after a higher one: the tail waits a while for such holes.
CREATE OR ALTER PROCEDURE dbo.GetEventsAfter
    @EventId bigint,
    @Limit int
WITH NATIVE_COMPILATION, SCHEMABINDING
AS
BEGIN ATOMIC WITH (
    TRANSACTION ISOLATION LEVEL = SNAPSHOT, LANGUAGE = N'us_english', DELAYED_DURABILITY = OFF
)
    IF @EventId IS NULL
        SELECT ISNULL(MAX(EventId), 0) AS Head FROM dbo.UserEvent;
    ELSE
        SELECT TOP (@Limit) EventId, UserId, Seq, Payload
        FROM dbo.UserEvent
        WHERE EventId > @EventId
        ORDER BY EventId;
END;
GO
