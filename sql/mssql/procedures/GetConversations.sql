-- GetConversations: some sides of a user, for a chat-state delta. @ConversationIds is a
-- JSON array of conversation ids. First result set: LastEventSeq, SendingBlocked and the
-- unread total over all the user's visible (not hidden) sides (51000 NOT_FOUND for an
-- unknown user); second: the named sides, as GetChatState returns them.
--
-- Interpreted: a preview may be a cold message, and a variable-length list is read with
-- OPENJSON, which native modules cannot call.
CREATE OR ALTER PROCEDURE dbo.GetConversations
    @UserId bigint,
    @ConversationIds nvarchar(MAX)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;
    BEGIN TRANSACTION;
    IF NOT EXISTS (SELECT 1 FROM dbo.ChatUser WHERE UserId = @UserId)
        THROW 51000, N'No such user.', 1;

    SELECT
        u.LastEventSeq,
        u.SendingBlocked,
        (
            SELECT COALESCE(SUM(uc.UnreadMessageCount), 0)
            FROM dbo.UserConversation AS uc
            WHERE uc.UserId = @UserId AND uc.Hidden = 0
        ) AS TotalUnread
    FROM dbo.ChatUser AS u
    WHERE u.UserId = @UserId;

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
    WHERE
        uc.UserId = @UserId
        AND uc.ConversationId IN (
            SELECT CAST(j.value AS varchar(41)) COLLATE Latin1_General_100_BIN2
            FROM OPENJSON(@ConversationIds) AS j
        );
    COMMIT TRANSACTION;
END;
GO
