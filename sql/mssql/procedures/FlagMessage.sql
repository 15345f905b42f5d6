-- FlagMessage: a participant who may see a message flags it (one flag per user; a repeat
-- keeps the first reason). 51000 (NOT_FOUND) as for DeleteMessage. Returns how many
-- flags the message now has.
--
-- Interpreted: the message may be cold, and MessageFlag is disk-based.
CREATE OR ALTER PROCEDURE dbo.FlagMessage
    @UserId bigint,
    @MessageId bigint,
    @Reason nvarchar(400),
    @Now datetime2(6)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @SenderId bigint;
    DECLARE @ReceiverId bigint;
    DECLARE @PreModerationStatus tinyint;
    DECLARE @ModerationStatus tinyint;

    BEGIN TRANSACTION;
    SELECT
        @SenderId = SenderId,
        @ReceiverId = ReceiverId,
        @PreModerationStatus = PreModerationStatus,
        @ModerationStatus = ModerationStatus
    FROM dbo.ChatMessageAll
    WHERE MessageId = @MessageId;

    IF
        @SenderId IS NULL
        OR @UserId NOT IN (@SenderId, @ReceiverId)
        OR (
            @UserId = @ReceiverId
            AND (@PreModerationStatus NOT IN (0, 2) OR @ModerationStatus IN (3, 5))
        )
        OR EXISTS (
            SELECT 1 FROM dbo.MessageDeletedForUser
            WHERE UserId = @UserId AND MessageId = @MessageId
        )
        THROW 51000, N'No such message.', 1;

    IF NOT EXISTS (
        SELECT 1 FROM dbo.MessageFlag WITH (UPDLOCK, HOLDLOCK)
        WHERE MessageId = @MessageId AND UserId = @UserId
    )
        INSERT dbo.MessageFlag (MessageId, UserId, Reason, CreatedAt)
        VALUES (@MessageId, @UserId, @Reason, @Now);

    SELECT COUNT(*) AS Flags FROM dbo.MessageFlag WHERE MessageId = @MessageId;
    COMMIT TRANSACTION;
END;
GO
