-- GetEventsSince: the user's last sequence number, then up to @Limit of their events
-- after @Seq in order. Both come from one snapshot, so the caller can tell whether the
-- page brings the client fully up to date.
CREATE OR ALTER PROCEDURE dbo.GetEventsSince
    @UserId bigint,
    @Seq bigint,
    @Limit int
WITH NATIVE_COMPILATION, SCHEMABINDING
AS
BEGIN ATOMIC WITH (
    TRANSACTION ISOLATION LEVEL = SNAPSHOT, LANGUAGE = N'us_english', DELAYED_DURABILITY = OFF
)
    SELECT LastEventSeq FROM dbo.ChatUser WHERE UserId = @UserId;

    SELECT TOP (@Limit) Seq, Payload
    FROM dbo.UserEvent
    WHERE UserId = @UserId AND Seq > @Seq
    ORDER BY Seq;
END;
GO
