-- dbo.ChatMessageAll: hot and cold messages as one set, for the interpreted procedures
-- that read or change a message wherever it lives. An id is in exactly one of the two:
-- ArchiveMessages moves a row, it never copies one.
--
-- A view (not a native module): natively compiled code reaches memory-optimized tables
-- only, and dbo.ChatMessageCold is on disk.
CREATE OR ALTER VIEW dbo.ChatMessageAll
AS
SELECT
    MessageId, SenderId, ReceiverId, ConversationId, Text, DateTime, Deleted,
    PreModerationStatus, Unread, UnreadNotified, MessageType, PayloadJson,
    ModerationStatus, ClientMessageId, CAST(1 AS bit) AS IsHot
FROM dbo.ChatMessage
UNION ALL
SELECT
    MessageId, SenderId, ReceiverId, ConversationId, Text, DateTime, Deleted,
    PreModerationStatus, Unread, UnreadNotified, MessageType, PayloadJson,
    ModerationStatus, ClientMessageId, CAST(0 AS bit) AS IsHot
FROM dbo.ChatMessageCold;
GO
