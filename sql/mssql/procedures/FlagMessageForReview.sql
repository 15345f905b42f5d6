-- FlagMessageForReview: FlagMessage and EnqueueReviewItem in one transaction. A
-- participant who may see a message flags it (one flag per user; a repeat keeps the first
-- reason) and the message enters the review queue as a user flag, or its item is raised:
-- priority @FlagBasePriority for one flag, @FlagStep more for each further one, at most
-- @FlagMaxPriority (parley.server.moderation.review_queue passes its constants, so the
-- rule lives in one place). 51000 (NOT_FOUND) as for FlagMessage. Returns how many flags
-- the message now has.
--
-- Interpreted: the message may be cold, and MessageFlag and ReviewItem are disk-based.
CREATE OR ALTER PROCEDURE dbo.FlagMessageForReview
    @UserId bigint,
    @MessageId bigint,
    @Reason nvarchar(400),
    @VotesNeeded int,
    @FlagBasePriority int,
    @FlagStep int,
    @FlagMaxPriority int,
    @Now datetime2(6)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    DECLARE @SenderId bigint;
    DECLARE @ReceiverId bigint;
    DECLARE @PreModerationStatus tinyint;
    DECLARE @ModerationStatus tinyint;
    DECLARE @Flags int;
    DECLARE @Priority int;

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

    SELECT @Flags = COUNT(*) FROM dbo.MessageFlag WHERE MessageId = @MessageId;
    SET @Priority = @FlagBasePriority + @FlagStep * (@Flags - 1);
    IF @Priority > @FlagMaxPriority
        SET @Priority = @FlagMaxPriority;

    EXEC dbo.EnqueueReviewItem
        @MessageId = @MessageId,
        @Source = 'flag',
        @Priority = @Priority,
        @Category = NULL,
        @Reason = @Reason,
        @FlagCount = @Flags,
        @VotesNeeded = @VotesNeeded,
        @Now = @Now;
    COMMIT TRANSACTION;

    SELECT @Flags AS Flags;
END;
GO
