-- SetUserBlocked (the seed's BlockUser / UnblockUser): @BlockedUserId can no longer send
-- to @UserId while the block stands. 51005 (FORBIDDEN) for oneself, 51000 (NOT_FOUND) for
-- an unknown user. No change, no event; otherwise ConversationChanged to the caller when
-- they have a side with that user (its "blocked" mark changed).
CREATE OR ALTER PROCEDURE dbo.SetUserBlocked
    @UserId bigint,
    @BlockedUserId bigint,
    @Blocked bit,
    @Now datetime2(6)
WITH NATIVE_COMPILATION, SCHEMABINDING
AS
BEGIN ATOMIC WITH (
    TRANSACTION ISOLATION LEVEL = SNAPSHOT, LANGUAGE = N'us_english', DELAYED_DURABILITY = OFF
)
    IF @UserId = @BlockedUserId
        THROW 51005, N'You cannot block yourself.', 1;
    IF NOT EXISTS (SELECT 1 FROM dbo.ChatUser WHERE UserId = @BlockedUserId)
        THROW 51000, N'No such user.', 1;

    DECLARE @Exists bit = 0;
    SELECT @Exists = 1
    FROM dbo.UserBlock
    WHERE UserId = @UserId AND BlockedUserId = @BlockedUserId;
    IF @Exists = @Blocked
        RETURN;

    IF @Blocked = 1
        INSERT dbo.UserBlock (UserId, BlockedUserId, CreatedAt)
        VALUES (@UserId, @BlockedUserId, @Now);
    ELSE
        DELETE dbo.UserBlock WHERE UserId = @UserId AND BlockedUserId = @BlockedUserId;

    DECLARE @ConversationId varchar(41) = CASE
        WHEN @UserId < @BlockedUserId
            THEN CAST(@UserId AS varchar(20)) + '-' + CAST(@BlockedUserId AS varchar(20))
        ELSE CAST(@BlockedUserId AS varchar(20)) + '-' + CAST(@UserId AS varchar(20))
    END;
    IF NOT EXISTS (
        SELECT 1 FROM dbo.UserConversation
        WHERE UserId = @UserId AND ConversationId = @ConversationId
    )
        RETURN;

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
