-- ArchiveMessages, the maintenance procedure: move one bounded batch of the oldest hot
-- messages sent before @OlderThan to dbo.ChatMessageCold, keeping their ids; returns how
-- many moved (0 when there is nothing left: the caller loops until then). Bounded so
-- that one transaction stays short and the log small; a SQL Agent job runs it in a loop
-- (docs/mssql.md).
--
-- Interpreted, and it has to be: a transaction that deletes from a memory-optimized table
-- and inserts into a disk-based one is a cross-container transaction, which natively
-- compiled modules cannot run. The memory-optimized side is read under SNAPSHOT
-- (MEMORY_OPTIMIZED_ELEVATE_TO_SNAPSHOT); a send that races a moved row conflicts and is
-- retried by the caller (error 41302).
--
-- Undecided messages stay hot, however old: those still unspecified (ModerationStatus 0,
-- the moderation worker's durable queue, which dbo.GetUnmoderatedMessages reads from the
-- hot table only) and held first messages still pending (PreModerationStatus 1). They
-- move in a later run, once decided.
CREATE OR ALTER PROCEDURE dbo.ArchiveMessages
    @OlderThan datetime2(6),
    @BatchSize int
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    EXEC dbo.EnsureColdPartitions @Until = @OlderThan;
    CREATE TABLE #Batch (MessageId bigint PRIMARY KEY);

    BEGIN TRANSACTION;
    INSERT #Batch (MessageId)
    SELECT TOP (@BatchSize) MessageId
    FROM dbo.ChatMessage
    WHERE DateTime < @OlderThan AND ModerationStatus <> 0 AND PreModerationStatus <> 1
    ORDER BY DateTime, MessageId;

    INSERT dbo.ChatMessageCold (
        MessageId, SenderId, ReceiverId, ConversationId, Text, DateTime, Deleted,
        PreModerationStatus, Unread, UnreadNotified, MessageType, PayloadJson,
        ModerationStatus, ClientMessageId
    )
    SELECT
        m.MessageId, m.SenderId, m.ReceiverId, m.ConversationId, m.Text, m.DateTime, m.Deleted,
        m.PreModerationStatus, m.Unread, m.UnreadNotified, m.MessageType, m.PayloadJson,
        m.ModerationStatus, m.ClientMessageId
    FROM dbo.ChatMessage AS m
    WHERE m.MessageId IN (SELECT b.MessageId FROM #Batch AS b);

    DELETE dbo.ChatMessage WHERE MessageId IN (SELECT b.MessageId FROM #Batch AS b);
    COMMIT TRANSACTION;

    SELECT COUNT(*) AS Moved FROM #Batch;
END;
GO
