-- MarkConversationRead: received messages up to @UpToMessageId (all when NULL) become
-- read. Only messages the reader may see count, so a held first message is still unread
-- when it is approved. 51000 (NOT_FOUND) when the reader has no side there. Nothing to
-- read, no event; otherwise ConversationChanged to the reader.
--
-- Interpreted: unread messages may already be in the disk-based cold table, and a
-- natively compiled module cannot reach it (no cross-container access).
CREATE OR ALTER PROCEDURE dbo.MarkConversationRead
    @UserId bigint,
    @ConversationId varchar(41),
    @UpToMessageId bigint,
    @Now datetime2(6)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    CREATE TABLE #Events (Ord int IDENTITY (1, 1) PRIMARY KEY, UserId bigint, Seq bigint);
    CREATE TABLE #Unread (MessageId bigint PRIMARY KEY);

    BEGIN TRANSACTION;
    IF NOT EXISTS (
        SELECT 1 FROM dbo.UserConversation
        WHERE UserId = @UserId AND ConversationId = @ConversationId
    )
        THROW 51000, N'No such conversation.', 1;

    INSERT #Unread (MessageId)
    SELECT m.MessageId
    FROM dbo.ChatMessageAll AS m
    WHERE
        m.ConversationId = @ConversationId
        AND m.ReceiverId = @UserId
        AND m.Unread = 1
        AND m.PreModerationStatus IN (0, 2)
        AND m.ModerationStatus NOT IN (3, 5)
        AND NOT EXISTS (
            SELECT 1 FROM dbo.MessageDeletedForUser AS d
            WHERE d.UserId = @UserId AND d.MessageId = m.MessageId
        );
    DECLARE @Total int = (SELECT COUNT(*) FROM #Unread);
    DELETE #Unread WHERE @UpToMessageId IS NOT NULL AND MessageId > @UpToMessageId;
    DECLARE @Read int = (SELECT COUNT(*) FROM #Unread);

    IF @Read > 0
    BEGIN
        UPDATE dbo.ChatMessage SET Unread = 0
        WHERE MessageId IN (SELECT u.MessageId FROM #Unread AS u);
        UPDATE dbo.ChatMessageCold SET Unread = 0
        WHERE MessageId IN (SELECT u.MessageId FROM #Unread AS u);
        UPDATE dbo.UserConversation
        SET UnreadMessageCount = @Total - @Read
        WHERE UserId = @UserId AND ConversationId = @ConversationId;
        DECLARE @Changed nvarchar(100) = N'{"kind":"ConversationChanged","conversation_id":"'
            + CAST(@ConversationId AS nvarchar(41)) + N'"}';
        EXEC dbo.AppendUserEvent @UserId = @UserId, @Payload = @Changed, @Now = @Now;
    END;
    COMMIT TRANSACTION;

    SELECT e.UserId, e.Seq, e.Payload
    FROM #Events AS l
    INNER JOIN dbo.UserEvent AS e ON l.UserId = e.UserId AND l.Seq = e.Seq
    ORDER BY l.Ord;
END;
GO
