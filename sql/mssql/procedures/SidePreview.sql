-- dbo.SidePreview: the message a user's side of a conversation shows in the list: its
-- last message, or when that one is hidden from the user (a held first message, one
-- under review) or deleted for them, the latest older message they may see; no row when
-- there is none. The visibility test restates parley.shared.conversations.visible_to:
-- the sender always sees a message; the receiver sees it when pre-moderation is
-- unspecified (0) or approved (2) and moderation has not hidden it (3) or put it in
-- review (5).
--
-- Interpreted (an inline table-valued function over dbo.ChatMessageAll): the preview may
-- be a cold message.
CREATE OR ALTER FUNCTION dbo.SidePreview(
    @UserId bigint,
    @ConversationId varchar(41),
    @LastMessageId bigint
)
RETURNS TABLE
AS
RETURN
SELECT TOP (1)
    m.MessageId, m.SenderId, m.ReceiverId, m.ConversationId, m.Text, m.DateTime, m.Deleted,
    m.PreModerationStatus, m.Unread, m.MessageType, m.PayloadJson, m.ModerationStatus,
    m.ClientMessageId
FROM dbo.ChatMessageAll AS m
WHERE
    @LastMessageId IS NOT NULL
    AND m.ConversationId = @ConversationId
    AND m.MessageId <= @LastMessageId
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
ORDER BY m.MessageId DESC;
GO
