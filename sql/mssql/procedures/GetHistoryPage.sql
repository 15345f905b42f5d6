-- GetHistoryPage: up to @Limit messages of a conversation before @BeforeMessageId (the
-- newest when NULL), newest first, hot and cold merged by id, as the reader may see them:
-- visible to the reader (see dbo.SidePreview) and not deleted for them. The caller asks
-- for one more than a page to learn whether there is more, and withholds the text of
-- deleted or removed messages.
--
-- Interpreted: history spans the memory-optimized hot table and the disk-based cold one.
CREATE OR ALTER PROCEDURE dbo.GetHistoryPage
    @UserId bigint,
    @ConversationId varchar(41),
    @BeforeMessageId bigint,
    @Limit int
AS
BEGIN
    SET NOCOUNT ON;
    SELECT TOP (@Limit)
        m.MessageId, m.ConversationId, m.SenderId, m.ReceiverId, m.Text, m.DateTime,
        m.ClientMessageId, m.MessageType, m.PayloadJson, m.Deleted, m.Unread,
        m.PreModerationStatus, m.ModerationStatus
    FROM dbo.ChatMessageAll AS m
    WHERE
        m.ConversationId = @ConversationId
        AND (@BeforeMessageId IS NULL OR m.MessageId < @BeforeMessageId)
        AND (
            m.SenderId = @UserId
            OR (
                m.ReceiverId = @UserId
                AND m.PreModerationStatus IN (0, 2)
                AND m.ModerationStatus NOT IN (3, 5)
            )
        )
        AND NOT EXISTS (
            SELECT 1 FROM dbo.MessageDeletedForUser AS d
            WHERE d.UserId = @UserId AND d.MessageId = m.MessageId
        )
    ORDER BY m.MessageId DESC
    OPTION (RECOMPILE);
END;
GO
