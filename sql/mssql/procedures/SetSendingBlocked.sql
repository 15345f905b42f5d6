-- SetSendingBlocked (moderators): the user may or may not send. 51000 (NOT_FOUND) for an
-- unknown user. No change, no event (the reason is kept from the change that set it);
-- otherwise SendingBlockedForUser to that user.
CREATE OR ALTER PROCEDURE dbo.SetSendingBlocked
    @UserId bigint,
    @Blocked bit,
    @Reason nvarchar(400),
    @Now datetime2(6)
WITH NATIVE_COMPILATION, SCHEMABINDING
AS
BEGIN ATOMIC WITH (
    TRANSACTION ISOLATION LEVEL = SNAPSHOT, LANGUAGE = N'us_english', DELAYED_DURABILITY = OFF
)
    DECLARE @Current bit = NULL;
    SELECT @Current = SendingBlocked FROM dbo.ChatUser WHERE UserId = @UserId;
    IF @Current IS NULL
        THROW 51000, N'No such user.', 1;
    IF @Current = @Blocked
        RETURN;

    DECLARE @Seq bigint;
    UPDATE dbo.ChatUser
    SET
        SendingBlocked = @Blocked,
        SendingBlockedReason = @Reason,
        LastEventSeq = LastEventSeq + 1
    WHERE UserId = @UserId;
    SELECT @Seq = LastEventSeq FROM dbo.ChatUser WHERE UserId = @UserId;

    DECLARE @Payload nvarchar(MAX) = N'{"kind":"SendingBlockedForUser","blocked":'
        + CASE WHEN @Blocked = 1 THEN N'true' ELSE N'false' END + N',"reason":""}';
    SET @Payload = JSON_MODIFY(@Payload, N'$.reason', @Reason);
    INSERT dbo.UserEvent (UserId, Seq, CreatedAt, Payload)
    VALUES (@UserId, @Seq, @Now, @Payload);

    SELECT UserId, Seq, Payload FROM dbo.UserEvent WHERE UserId = @UserId AND Seq = @Seq;
END;
GO
