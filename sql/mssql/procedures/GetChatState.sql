-- GetChatState: everything the conversation list shows, at the user's current sequence
-- number. First result set: LastEventSeq and SendingBlocked (51000 NOT_FOUND for an
-- unknown user); second: every side of the user with the other user, whether the user
-- blocked them, and the message its preview shows (dbo.SidePreview). Ordering and the
-- unread total are computed by parley.shared.chat_state, as for SQLite.
--
-- Interpreted: a preview may be a cold message. One transaction, so the sequence number
-- and the sides come from one snapshot (MEMORY_OPTIMIZED_ELEVATE_TO_SNAPSHOT).
CREATE OR ALTER PROCEDURE dbo.GetChatState
    @UserId bigint
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    BEGIN TRANSACTION;
    IF NOT EXISTS (SELECT 1 FROM dbo.ChatUser WHERE UserId = @UserId)
        THROW 51000, N'No such user.', 1;

    SELECT LastEventSeq, SendingBlocked FROM dbo.ChatUser WHERE UserId = @UserId;

    SELECT
        uc.ConversationId, uc.SecondUserId, uc.Archived, uc.Pinned, uc.UnreadMessageCount,
        uc.CreateDate, uc.IsInitiatedByUser, uc.Hidden, u.Username, u.DisplayName, u.Role,
        CASE
            WHEN EXISTS (
                SELECT 1 FROM dbo.UserBlock AS b
                WHERE b.UserId = uc.UserId AND b.BlockedUserId = uc.SecondUserId
            ) THEN CAST(1 AS bit)
            ELSE CAST(0 AS bit)
        END AS Blocked,
        p.MessageId, p.SenderId, p.Text, p.DateTime, p.Deleted, p.ModerationStatus
    FROM dbo.UserConversation AS uc
    INNER JOIN dbo.ChatUser AS u ON uc.SecondUserId = u.UserId
    OUTER APPLY dbo.SidePreview(uc.UserId, uc.ConversationId, uc.LastMessageId) AS p
    WHERE uc.UserId = @UserId;
    COMMIT TRANSACTION;
END;
GO
