-- SetConversationHidden: change the Hidden flag of the caller's side of a conversation.
-- 51000 (NOT_FOUND) when the caller has no side there (the caller has already checked
-- that they are one of its two users). No change, no event; otherwise one
-- ConversationChanged to the caller.
CREATE OR ALTER PROCEDURE dbo.SetConversationHidden
    @UserId bigint,
    @ConversationId varchar(41),
    @Hidden bit,
    @Now datetime2(6)
WITH NATIVE_COMPILATION, SCHEMABINDING
AS
BEGIN ATOMIC WITH (
    TRANSACTION ISOLATION LEVEL = SNAPSHOT, LANGUAGE = N'us_english', DELAYED_DURABILITY = OFF
)
    DECLARE @Current bit = NULL;
    SELECT @Current = Hidden
    FROM dbo.UserConversation
    WHERE UserId = @UserId AND ConversationId = @ConversationId;
    IF @Current IS NULL
        THROW 51000, N'No such conversation.', 1;
    IF @Current = @Hidden
        RETURN;

    UPDATE dbo.UserConversation
    SET Hidden = @Hidden
    WHERE UserId = @UserId AND ConversationId = @ConversationId;

    DECLARE @Seq bigint;
    UPDATE dbo.ChatUser SET LastEventSeq = LastEventSeq + 1 WHERE UserId = @UserId;
    SELECT @Seq = LastEventSeq FROM dbo.ChatUser WHERE UserId = @UserId;
    INSERT dbo.UserEvent (UserId, Seq, CreatedAt, Payload)
    VALUES (
        @UserId, @Seq, @Now,
        N'{"kind":"ConversationChanged","conversation_id":"'
        + CAST(@ConversationId AS nvarchar(41)) + N'"}'
    );

    SELECT UserId, Seq, Payload FROM dbo.UserEvent WHERE UserId = @UserId AND Seq = @Seq;
END;
GO
