-- dbo.RecountUnread: set a side's unread count from its messages, keeping the store's
-- invariant (the count is the number of unread messages the user may see and has not
-- deleted for themselves); @Changed tells whether the count moved.
--
-- Interpreted: the unread messages may be cold.
CREATE OR ALTER PROCEDURE dbo.RecountUnread
    @UserId bigint,
    @ConversationId varchar(41),
    @Changed bit OUTPUT
AS
BEGIN
    SET NOCOUNT ON;
    DECLARE @Count int = (
        SELECT COUNT(*)
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
            )
    );
    UPDATE dbo.UserConversation
    SET UnreadMessageCount = @Count
    WHERE
        UserId = @UserId
        AND ConversationId = @ConversationId
        AND UnreadMessageCount <> @Count;
    SET @Changed = CASE WHEN @@ROWCOUNT > 0 THEN 1 ELSE 0 END;
END;
GO
