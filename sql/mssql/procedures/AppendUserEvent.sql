-- dbo.AppendUserEvent: number one event in a user's sequence and write it, inside the
-- caller's transaction, and note it in the caller's #Events table (Ord IDENTITY, UserId,
-- Seq) so the caller can return its events in the order it raised them.
--
-- Interpreted: called by the interpreted procedures only. The natively compiled ones
-- repeat these two statements inline, because a schema-bound native module that calls
-- another native module would pin it against ALTER and make the procedures impossible to
-- re-run.
CREATE OR ALTER PROCEDURE dbo.AppendUserEvent
    @UserId bigint,
    @Payload nvarchar(MAX),
    @Now datetime2(6)
AS
BEGIN
    SET NOCOUNT ON;
    DECLARE @Seq bigint;
    UPDATE dbo.ChatUser SET LastEventSeq = LastEventSeq + 1 WHERE UserId = @UserId;
    SELECT @Seq = LastEventSeq FROM dbo.ChatUser WHERE UserId = @UserId;
    INSERT dbo.UserEvent (UserId, Seq, CreatedAt, Payload) VALUES (@UserId, @Seq, @Now, @Payload);
    INSERT #Events (UserId, Seq) VALUES (@UserId, @Seq);
END;
GO
