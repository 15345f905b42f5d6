-- dbo.ApplyModerationChange: write a message's new pre-moderation and moderation status
-- and tell whoever could or now can see it; shared by SetPreModerationStatus and
-- SetMessageModerationStatus, which have already checked that something changes.
--
-- The receiver hears nothing about a message hidden from them before and after (a held
-- first message that is rejected): no event may leak what they may not see. Events, in
-- order: MessageModerationStatusChanged to the sender and (when it could or now can see
-- the message) the receiver; MessageReceived to a receiver it was just revealed to
-- (unless they deleted it for themselves), with text and payload withheld when the
-- message is deleted or removed; ConversationChanged to the same audience.
--
-- Interpreted: the message may be cold; the caller owns the transaction and #Events.
CREATE OR ALTER PROCEDURE dbo.ApplyModerationChange
    @MessageId bigint,
    @NewPreModerationStatus tinyint,
    @NewModerationStatus tinyint,
    @Reason nvarchar(400),
    @Now datetime2(6)
AS
BEGIN
    SET NOCOUNT ON;
    DECLARE @SenderId bigint;
    DECLARE @ReceiverId bigint;
    DECLARE @ConversationId varchar(41);
    DECLARE @Text nvarchar(1024);
    DECLARE @DateTime datetime2(6);
    DECLARE @Deleted bit;
    DECLARE @Unread bit;
    DECLARE @MessageType int;
    DECLARE @PayloadJson nvarchar(4000);
    DECLARE @ClientMessageId nvarchar(128);
    DECLARE @OldPreModerationStatus tinyint;
    DECLARE @OldModerationStatus tinyint;

    SELECT
        @SenderId = SenderId,
        @ReceiverId = ReceiverId,
        @ConversationId = ConversationId,
        @Text = Text,
        @DateTime = DateTime,
        @Deleted = Deleted,
        @Unread = Unread,
        @MessageType = MessageType,
        @PayloadJson = PayloadJson,
        @ClientMessageId = ClientMessageId,
        @OldPreModerationStatus = PreModerationStatus,
        @OldModerationStatus = ModerationStatus
    FROM dbo.ChatMessageAll
    WHERE MessageId = @MessageId;

    DECLARE @SeenBefore bit = CASE
        WHEN @OldPreModerationStatus IN (0, 2) AND @OldModerationStatus NOT IN (3, 5) THEN 1
        ELSE 0
    END;
    DECLARE @SeenAfter bit = CASE
        WHEN @NewPreModerationStatus IN (0, 2) AND @NewModerationStatus NOT IN (3, 5) THEN 1
        ELSE 0
    END;

    UPDATE dbo.ChatMessage
    SET PreModerationStatus = @NewPreModerationStatus, ModerationStatus = @NewModerationStatus
    WHERE MessageId = @MessageId;
    UPDATE dbo.ChatMessageCold
    SET PreModerationStatus = @NewPreModerationStatus, ModerationStatus = @NewModerationStatus
    WHERE MessageId = @MessageId;

    DECLARE @StatusChanged nvarchar(MAX) = N'{"kind":"MessageModerationStatusChanged","message_id":'
        + CAST(@MessageId AS nvarchar(20))
        + N',"conversation_id":"' + CAST(@ConversationId AS nvarchar(41))
        + N'","moderation_status":' + CAST(@NewModerationStatus AS nvarchar(3))
        + N',"premoderation_status":' + CAST(@NewPreModerationStatus AS nvarchar(3))
        + N',"reason":""}';
    SET @StatusChanged = JSON_MODIFY(@StatusChanged, N'$.reason', @Reason);
    DECLARE @Changed nvarchar(100) = N'{"kind":"ConversationChanged","conversation_id":"'
        + CAST(@ConversationId AS nvarchar(41)) + N'"}';
    DECLARE @ReceiverHears bit = CASE WHEN @SeenBefore = 1 OR @SeenAfter = 1 THEN 1 ELSE 0 END;
    DECLARE @Recounted bit;

    EXEC dbo.AppendUserEvent @UserId = @SenderId, @Payload = @StatusChanged, @Now = @Now;
    IF @ReceiverHears = 1
        EXEC dbo.AppendUserEvent @UserId = @ReceiverId, @Payload = @StatusChanged, @Now = @Now;

    IF @SeenAfter = 1 AND @SeenBefore = 0
    BEGIN
        EXEC dbo.RecountUnread
            @UserId = @ReceiverId, @ConversationId = @ConversationId, @Changed = @Recounted OUTPUT;
        -- Revealed: the receiver's side is no longer hidden behind it.
        UPDATE dbo.UserConversation
        SET Hidden = 0, Archived = 0
        WHERE UserId = @ReceiverId AND ConversationId = @ConversationId;
        IF NOT EXISTS (
            SELECT 1 FROM dbo.MessageDeletedForUser
            WHERE UserId = @ReceiverId AND MessageId = @MessageId
        )
        BEGIN
            DECLARE @Withheld bit = CASE
                WHEN @Deleted = 1 OR @NewModerationStatus = 4 THEN 1 ELSE 0
            END;
            DECLARE @MessageJson nvarchar(MAX) = N'{"id":' + CAST(@MessageId AS nvarchar(20))
                + N',"conversation_id":"' + CAST(@ConversationId AS nvarchar(41))
                + N'","sender_id":' + CAST(@SenderId AS nvarchar(20))
                + N',"receiver_id":' + CAST(@ReceiverId AS nvarchar(20))
                + N',"text":"","sent_at":"'
                + TRANSLATE(CAST(@DateTime AS nvarchar(27)), N' ', N'T') + N'Z'
                + N'","message_type":' + CAST(@MessageType AS nvarchar(11))
                + N',"deleted":' + CASE WHEN @Deleted = 1 THEN N'true' ELSE N'false' END
                + N',"unread":' + CASE WHEN @Unread = 1 THEN N'true' ELSE N'false' END
                + N',"premoderation_status":' + CAST(@NewPreModerationStatus AS nvarchar(3))
                + N',"moderation_status":' + CAST(@NewModerationStatus AS nvarchar(3))
                + N'}';
            IF @Withheld = 0
                SET @MessageJson = JSON_MODIFY(@MessageJson, N'$.text', @Text);
            IF @ClientMessageId IS NOT NULL
                SET @MessageJson = JSON_MODIFY(
                    @MessageJson, N'$.client_message_id', @ClientMessageId
                );
            IF @Withheld = 0 AND @PayloadJson IS NOT NULL
                SET @MessageJson = JSON_MODIFY(@MessageJson, N'$.payload', @PayloadJson);
            DECLARE @Received nvarchar(MAX) = N'{"kind":"MessageReceived","message":'
                + @MessageJson + N'}';
            EXEC dbo.AppendUserEvent @UserId = @ReceiverId, @Payload = @Received, @Now = @Now;
        END;
    END;
    ELSE IF @SeenBefore = 1 AND @SeenAfter = 0
        EXEC dbo.RecountUnread
            @UserId = @ReceiverId, @ConversationId = @ConversationId, @Changed = @Recounted OUTPUT;

    EXEC dbo.AppendUserEvent @UserId = @SenderId, @Payload = @Changed, @Now = @Now;
    IF @ReceiverHears = 1
        EXEC dbo.AppendUserEvent @UserId = @ReceiverId, @Payload = @Changed, @Now = @Now;
END;
GO
