-- PruneEvents: drop sequence-log entries older than a time (a client resuming past them
-- gets a fresh snapshot instead) and, with them, the idempotency records of sends that
-- old: a client retries a send within seconds, and memory is the hot tables' budget.
-- Returns the number of events dropped.
CREATE OR ALTER PROCEDURE dbo.PruneEvents
    @OlderThan datetime2(6)
WITH NATIVE_COMPILATION, SCHEMABINDING
AS
BEGIN ATOMIC WITH (
    TRANSACTION ISOLATION LEVEL = SNAPSHOT, LANGUAGE = N'us_english', DELAYED_DURABILITY = OFF
)
    DELETE dbo.UserEvent WHERE CreatedAt < @OlderThan;
    DECLARE @Pruned int = @@ROWCOUNT;
    DELETE dbo.MessageIdempotency WHERE CreatedAt < @OlderThan;
    SELECT @Pruned AS Pruned;
END;
GO
