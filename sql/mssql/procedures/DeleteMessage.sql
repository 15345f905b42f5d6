-- DeleteMessage: for everyone (the sender only, 51005 FORBIDDEN otherwise) the row stays
-- as a placeholder whose text the reader side withholds; for me (either participant) the
-- other participant keeps the message. 51000 (NOT_FOUND) unless the caller takes part in
-- the message, may see it and has not deleted it for themselves.
--
-- Events, in order: for everyone, MessageDeleted to the sender and to the receiver when
-- they could see it, then ConversationChanged to each of them whose list preview showed
-- this message; for me, MessageDeleted to the caller, then ConversationChanged when the
-- preview showed it or the unread count moved.
--
-- Interpreted: the message may be cold (disk-based), out of a native module's reach.
CREATE OR ALTER PROCEDURE dbo.DeleteMessage
    @UserId bigint,
    @MessageId bigint,
    @ForEveryone bit,
    @Now datetime2(6)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    CREATE TABLE #Events (Ord int IDENTITY (1, 1) PRIMARY KEY, UserId bigint, Seq bigint);
    DECLARE @SenderId bigint;
    DECLARE @ReceiverId bigint;
    DECLARE @ConversationId varchar(41);
    DECLARE @Deleted bit;
    DECLARE @PreModerationStatus tinyint;
    DECLARE @ModerationStatus tinyint;

    BEGIN TRANSACTION;
    SELECT
        @SenderId = SenderId,
        @ReceiverId = ReceiverId,
        @ConversationId = ConversationId,
        @Deleted = Deleted,
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

    DECLARE @Payload nvarchar(300) = N'{"kind":"MessageDeleted","message_id":'
        + CAST(@MessageId AS nvarchar(20))
        + N',"conversation_id":"' + CAST(@ConversationId AS nvarchar(41))
        + N'","for_everyone":' + CASE WHEN @ForEveryone = 1 THEN N'true' ELSE N'false' END
        + N'}';
    DECLARE @Changed nvarchar(100) = N'{"kind":"ConversationChanged","conversation_id":"'
        + CAST(@ConversationId AS nvarchar(41)) + N'"}';
    DECLARE @SenderShows bit = 0;
    DECLARE @ReceiverShows bit = 0;

    IF @ForEveryone = 1
    BEGIN
        IF @UserId <> @SenderId
            THROW 51005, N'Only the sender can delete a message for everyone.', 1;
        IF @Deleted = 0
        BEGIN
            DECLARE @ReceiverSees bit = CASE
                WHEN
                    @PreModerationStatus IN (0, 2)
                    AND @ModerationStatus NOT IN (3, 5)
                    AND NOT EXISTS (
                        SELECT 1 FROM dbo.MessageDeletedForUser
                        WHERE UserId = @ReceiverId AND MessageId = @MessageId
                    )
                    THEN 1
                ELSE 0
            END;
            -- Which previews show this message, read before it changes.
            SELECT @SenderShows = 1
            FROM dbo.UserConversation AS uc
            CROSS APPLY dbo.SidePreview(uc.UserId, uc.ConversationId, uc.LastMessageId) AS p
            WHERE
                uc.UserId = @SenderId
                AND uc.ConversationId = @ConversationId
                AND p.MessageId = @MessageId;
            SELECT @ReceiverShows = 1
            FROM dbo.UserConversation AS uc
            CROSS APPLY dbo.SidePreview(uc.UserId, uc.ConversationId, uc.LastMessageId) AS p
            WHERE
                @ReceiverSees = 1
                AND uc.UserId = @ReceiverId
                AND uc.ConversationId = @ConversationId
                AND p.MessageId = @MessageId;

            UPDATE dbo.ChatMessage SET Deleted = 1 WHERE MessageId = @MessageId;
            UPDATE dbo.ChatMessageCold SET Deleted = 1 WHERE MessageId = @MessageId;

            EXEC dbo.AppendUserEvent @UserId = @SenderId, @Payload = @Payload, @Now = @Now;
            IF @ReceiverSees = 1
                EXEC dbo.AppendUserEvent @UserId = @ReceiverId, @Payload = @Payload, @Now = @Now;
            IF @SenderShows = 1
                EXEC dbo.AppendUserEvent @UserId = @SenderId, @Payload = @Changed, @Now = @Now;
            IF @ReceiverShows = 1
                EXEC dbo.AppendUserEvent @UserId = @ReceiverId, @Payload = @Changed, @Now = @Now;
        END;
    END;
    ELSE
    BEGIN
        SELECT @SenderShows = 1
        FROM dbo.UserConversation AS uc
        CROSS APPLY dbo.SidePreview(uc.UserId, uc.ConversationId, uc.LastMessageId) AS p
        WHERE
            uc.UserId = @UserId
            AND uc.ConversationId = @ConversationId
            AND p.MessageId = @MessageId;

        INSERT dbo.MessageDeletedForUser (UserId, MessageId, DeletedAt)
        VALUES (@UserId, @MessageId, @Now);

        DECLARE @Recounted bit = 0;
        IF @UserId = @ReceiverId
            EXEC dbo.RecountUnread
                @UserId = @UserId, @ConversationId = @ConversationId, @Changed = @Recounted OUTPUT;

        EXEC dbo.AppendUserEvent @UserId = @UserId, @Payload = @Payload, @Now = @Now;
        IF @SenderShows = 1 OR @Recounted = 1
            EXEC dbo.AppendUserEvent @UserId = @UserId, @Payload = @Changed, @Now = @Now;
    END;
    COMMIT TRANSACTION;

    SELECT e.UserId, e.Seq, e.Payload
    FROM #Events AS l
    INNER JOIN dbo.UserEvent AS e ON l.UserId = e.UserId AND l.Seq = e.Seq
    ORDER BY l.Ord;
END;
GO
