-- SetMessageModerationStatus: change a message's post-moderation status: raises MessageModerationStatusChanged to both users.
-- 51000 (NOT_FOUND) for an unknown message; the same status again changes nothing and
-- raises nothing. The writing and the events are dbo.ApplyModerationChange's.
--
-- Interpreted: the message may be cold (disk-based), out of a native module's reach.
CREATE OR ALTER PROCEDURE dbo.SetMessageModerationStatus
    @MessageId bigint,
    @Status tinyint,
    @Reason nvarchar(400),
    @Now datetime2(6)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    CREATE TABLE #Events (Ord int IDENTITY (1, 1) PRIMARY KEY, UserId bigint, Seq bigint);
    DECLARE @CurrentPreModeration tinyint;
    DECLARE @CurrentModeration tinyint;

    BEGIN TRANSACTION;
    SELECT
        @CurrentPreModeration = PreModerationStatus,
        @CurrentModeration = ModerationStatus
    FROM dbo.ChatMessageAll
    WHERE MessageId = @MessageId;
    IF @CurrentPreModeration IS NULL
        THROW 51000, N'No such message.', 1;

    IF @CurrentModeration <> @Status
        EXEC dbo.ApplyModerationChange
            @MessageId = @MessageId,
            @NewPreModerationStatus = @CurrentPreModeration,
            @NewModerationStatus = @Status,
            @Reason = @Reason,
            @Now = @Now;
    COMMIT TRANSACTION;

    SELECT e.UserId, e.Seq, e.Payload
    FROM #Events AS l
    INNER JOIN dbo.UserEvent AS e ON l.UserId = e.UserId AND l.Seq = e.Seq
    ORDER BY l.Ord;
END;
GO
