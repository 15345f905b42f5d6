-- GetMessage: one message by id, hot or cold, unfiltered (callers decide who sees it).
--
-- Interpreted: the message may be cold.
CREATE OR ALTER PROCEDURE dbo.GetMessage
    @MessageId bigint
AS
BEGIN
    SET NOCOUNT ON;
    SELECT
        MessageId, ConversationId, SenderId, ReceiverId, Text, DateTime, ClientMessageId,
        MessageType, PayloadJson, Deleted, Unread, PreModerationStatus, ModerationStatus
    FROM dbo.ChatMessageAll
    WHERE MessageId = @MessageId;
END;
GO
