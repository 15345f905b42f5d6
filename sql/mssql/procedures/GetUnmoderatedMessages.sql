-- GetUnmoderatedMessages: the moderation worker's durable queue, hot messages still
-- unspecified (ModerationStatus 0) after @AfterId, in id order, at most @Limit. A seek on
-- IX_ChatMessage_Unmoderated (V004). Undecided messages are never archived
-- (ArchiveMessages keeps them hot), so the hot table holds the whole queue.
CREATE OR ALTER PROCEDURE dbo.GetUnmoderatedMessages
    @AfterId bigint,
    @Limit int
WITH NATIVE_COMPILATION, SCHEMABINDING
AS
BEGIN ATOMIC WITH (
    TRANSACTION ISOLATION LEVEL = SNAPSHOT, LANGUAGE = N'us_english', DELAYED_DURABILITY = OFF
)
    SELECT TOP (@Limit)
        MessageId, ConversationId, SenderId, ReceiverId, Text, DateTime, ClientMessageId,
        MessageType, PayloadJson, Deleted, Unread, PreModerationStatus, ModerationStatus
    FROM dbo.ChatMessage
    WHERE ModerationStatus = 0 AND MessageId > @AfterId
    ORDER BY MessageId;
END;
GO
