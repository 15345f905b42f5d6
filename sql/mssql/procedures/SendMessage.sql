-- SendMessage, the seed's procedure (docs: ../shared/ARCHITECTURE.md), natively compiled:
-- one atomic block, SNAPSHOT isolation, fully durable unless the database forces delayed
-- durability (PARLEY_MSSQL_DELAYED_DURABILITY, see docs/mssql.md).
--
-- Idempotent on (sender, client message id): a repeat returns the first message's id and
-- first-ness with @Duplicate = 1 and writes nothing. Refusals, in this order: 51004
-- (SEND_TO_SELF), 51000 (NOT_FOUND: unknown sender or receiver), 51002 (SENDING_BLOCKED),
-- 51003 (BLOCKED_BY_RECEIVER).
--
-- The conversation is first when neither side exists yet; its message is held for
-- pre-moderation (status 1) when @PremoderateFirst, and a held message is hidden from the
-- receiver. The receiver's side counts the message as unread only once they may see it
-- (so unread counts always equal the visible unread messages), stays hidden only while
-- this message is hidden, and is un-archived by a visible message; the sender's side is
-- un-archived by any message.
--
-- Events, in this order and numbered in each user's sequence (ChatUser.LastEventSeq):
-- MessageSent to the sender, MessageReceived to the receiver (unless hidden from them),
-- ConversationChanged to the sender, ConversationChanged to the receiver. The result set
-- lists them in that order. Payloads are the msgspec JSON of parley.shared.events: the
-- message's text, client id and payload go through JSON_MODIFY, which escapes them.
CREATE OR ALTER PROCEDURE dbo.SendMessage
    @SenderId bigint,
    @ReceiverId bigint,
    @Text nvarchar(1024),
    @SentAt datetime2(6),
    @PremoderateFirst bit,
    @ClientMessageId nvarchar(128),
    @MessageType int,
    @PayloadJson nvarchar(4000),
    @Now datetime2(6),
    @ConversationId varchar(41) OUTPUT,
    @MessageId bigint OUTPUT,
    @IsFirst bit OUTPUT,
    @PreModerationStatus tinyint OUTPUT,
    @Duplicate bit OUTPUT
WITH NATIVE_COMPILATION, SCHEMABINDING
AS
BEGIN ATOMIC WITH (
    TRANSACTION ISOLATION LEVEL = SNAPSHOT, LANGUAGE = N'us_english', DELAYED_DURABILITY = OFF
)
    SET @Duplicate = 0;
    SET @MessageId = NULL;
    SELECT @MessageId = MessageId, @IsFirst = IsFirst
    FROM dbo.MessageIdempotency
    WHERE SenderId = @SenderId AND ClientMessageId = @ClientMessageId;
    IF @MessageId IS NOT NULL
    BEGIN
        SET @Duplicate = 1;
        SET @ConversationId = CASE
            WHEN @SenderId < @ReceiverId
                THEN CAST(@SenderId AS varchar(20)) + '-' + CAST(@ReceiverId AS varchar(20))
            ELSE CAST(@ReceiverId AS varchar(20)) + '-' + CAST(@SenderId AS varchar(20))
        END;
        SET @PreModerationStatus = 0;
        RETURN;
    END;

    IF @SenderId = @ReceiverId
        THROW 51004, N'You cannot send a message to yourself.', 1;

    DECLARE @SenderBlocked bit = NULL;
    DECLARE @ReceiverExists bit = 0;
    SELECT @SenderBlocked = SendingBlocked FROM dbo.ChatUser WHERE UserId = @SenderId;
    SELECT @ReceiverExists = 1 FROM dbo.ChatUser WHERE UserId = @ReceiverId;
    IF @SenderBlocked IS NULL OR @ReceiverExists = 0
        THROW 51000, N'No such user.', 1;
    IF @SenderBlocked = 1
        THROW 51002, N'You are blocked from sending messages by a moderator.', 1;
    IF EXISTS (
        SELECT 1 FROM dbo.UserBlock WHERE UserId = @ReceiverId AND BlockedUserId = @SenderId
    )
        THROW 51003, N'This user has blocked you; the message was not sent.', 1;

    -- The conversation id is "low-high" (parley.shared.conversations.conversation_id).
    SET @ConversationId = CASE
        WHEN @SenderId < @ReceiverId
            THEN CAST(@SenderId AS varchar(20)) + '-' + CAST(@ReceiverId AS varchar(20))
        ELSE CAST(@ReceiverId AS varchar(20)) + '-' + CAST(@SenderId AS varchar(20))
    END;

    SET @IsFirst = 1;
    IF EXISTS (
        SELECT 1 FROM dbo.UserConversation
        WHERE ConversationId = @ConversationId AND UserId IN (@SenderId, @ReceiverId)
    )
        SET @IsFirst = 0;
    SET @PreModerationStatus = CASE WHEN @PremoderateFirst = 1 AND @IsFirst = 1 THEN 1 ELSE 0 END;
    -- Hidden unless pre-moderation is unspecified (0) or approved (2).
    DECLARE @Hidden bit = CASE WHEN @PreModerationStatus IN (0, 2) THEN 0 ELSE 1 END;

    INSERT dbo.ChatMessage (
        SenderId, ReceiverId, ConversationId, Text, DateTime, Deleted, PreModerationStatus,
        Unread, UnreadNotified, MessageType, PayloadJson, ModerationStatus, ClientMessageId
    )
    VALUES (
        @SenderId, @ReceiverId, @ConversationId, @Text, @SentAt, 0, @PreModerationStatus,
        1, 0, @MessageType, @PayloadJson, 0, @ClientMessageId
    );
    SET @MessageId = SCOPE_IDENTITY();

    INSERT dbo.MessageIdempotency (SenderId, ClientMessageId, MessageId, IsFirst, CreatedAt)
    VALUES (@SenderId, @ClientMessageId, @MessageId, @IsFirst, @Now);

    -- Sender's side: created if missing, otherwise it shows this message and is un-archived.
    IF EXISTS (
        SELECT 1 FROM dbo.UserConversation
        WHERE UserId = @SenderId AND ConversationId = @ConversationId
    )
        UPDATE dbo.UserConversation
        SET LastMessageId = @MessageId, Archived = 0
        WHERE UserId = @SenderId AND ConversationId = @ConversationId;
    ELSE
        INSERT dbo.UserConversation (
            UserId, ConversationId, SecondUserId, Archived, Pinned, LastMessageId,
            UnreadMessageCount, CreateDate, IsInitiatedByUser, Hidden, MetadataFlags
        )
        VALUES (@SenderId, @ConversationId, @ReceiverId, 0, 0, @MessageId, 0, @SentAt, 1, 0, 0);

    -- Receiver's side: created if missing (hidden when the message is); otherwise it shows
    -- this message, counts it once visible, stays hidden only while this one is hidden.
    IF EXISTS (
        SELECT 1 FROM dbo.UserConversation
        WHERE UserId = @ReceiverId AND ConversationId = @ConversationId
    )
        UPDATE dbo.UserConversation
        SET
            LastMessageId = @MessageId,
            UnreadMessageCount = UnreadMessageCount + CASE WHEN @Hidden = 1 THEN 0 ELSE 1 END,
            Hidden = CASE WHEN Hidden = 0 THEN 0 ELSE @Hidden END,
            Archived = CASE WHEN @Hidden = 0 THEN 0 ELSE Archived END
        WHERE UserId = @ReceiverId AND ConversationId = @ConversationId;
    ELSE
        INSERT dbo.UserConversation (
            UserId, ConversationId, SecondUserId, Archived, Pinned, LastMessageId,
            UnreadMessageCount, CreateDate, IsInitiatedByUser, Hidden, MetadataFlags
        )
        VALUES (
            @ReceiverId, @ConversationId, @SenderId, 0, 0, @MessageId,
            CASE WHEN @Hidden = 1 THEN 0 ELSE 1 END, @SentAt, 0, @Hidden, 0
        );

    -- The message as parley.shared.models.Message JSON. Numbers, booleans, the
    -- conversation id and the time are safe to concatenate; the user's strings are not,
    -- so JSON_MODIFY writes (and escapes) them. An absent optional key decodes as None.
    DECLARE @SentAtText nvarchar(40) = TRANSLATE(CAST(@SentAt AS nvarchar(27)), N' ', N'T') + N'Z';
    DECLARE @MessageJson nvarchar(MAX) = N'{"id":' + CAST(@MessageId AS nvarchar(20))
        + N',"conversation_id":"' + CAST(@ConversationId AS nvarchar(41))
        + N'","sender_id":' + CAST(@SenderId AS nvarchar(20))
        + N',"receiver_id":' + CAST(@ReceiverId AS nvarchar(20))
        + N',"text":"","sent_at":"' + @SentAtText
        + N'","message_type":' + CAST(@MessageType AS nvarchar(11))
        + N',"deleted":false,"unread":true,"premoderation_status":'
        + CAST(@PreModerationStatus AS nvarchar(3))
        + N',"moderation_status":0}';
    SET @MessageJson = JSON_MODIFY(@MessageJson, N'$.text', @Text);
    IF @ClientMessageId IS NOT NULL
        SET @MessageJson = JSON_MODIFY(@MessageJson, N'$.client_message_id', @ClientMessageId);
    IF @PayloadJson IS NOT NULL
        SET @MessageJson = JSON_MODIFY(@MessageJson, N'$.payload', @PayloadJson);
    DECLARE @Changed nvarchar(100) = N'{"kind":"ConversationChanged","conversation_id":"'
        + CAST(@ConversationId AS nvarchar(41)) + N'"}';

    DECLARE @SentSeq bigint;
    DECLARE @ReceivedSeq bigint = NULL;
    DECLARE @SenderChangedSeq bigint;
    DECLARE @ReceiverChangedSeq bigint;

    UPDATE dbo.ChatUser SET LastEventSeq = LastEventSeq + 1 WHERE UserId = @SenderId;
    SELECT @SentSeq = LastEventSeq FROM dbo.ChatUser WHERE UserId = @SenderId;
    INSERT dbo.UserEvent (UserId, Seq, CreatedAt, Payload)
    VALUES (@SenderId, @SentSeq, @Now, N'{"kind":"MessageSent","message":' + @MessageJson + N'}');

    IF @Hidden = 0
    BEGIN
        UPDATE dbo.ChatUser SET LastEventSeq = LastEventSeq + 1 WHERE UserId = @ReceiverId;
        SELECT @ReceivedSeq = LastEventSeq FROM dbo.ChatUser WHERE UserId = @ReceiverId;
        INSERT dbo.UserEvent (UserId, Seq, CreatedAt, Payload)
        VALUES (
            @ReceiverId, @ReceivedSeq, @Now,
            N'{"kind":"MessageReceived","message":' + @MessageJson + N'}'
        );
    END;

    UPDATE dbo.ChatUser SET LastEventSeq = LastEventSeq + 1 WHERE UserId = @SenderId;
    SELECT @SenderChangedSeq = LastEventSeq FROM dbo.ChatUser WHERE UserId = @SenderId;
    INSERT dbo.UserEvent (UserId, Seq, CreatedAt, Payload)
    VALUES (@SenderId, @SenderChangedSeq, @Now, @Changed);

    UPDATE dbo.ChatUser SET LastEventSeq = LastEventSeq + 1 WHERE UserId = @ReceiverId;
    SELECT @ReceiverChangedSeq = LastEventSeq FROM dbo.ChatUser WHERE UserId = @ReceiverId;
    INSERT dbo.UserEvent (UserId, Seq, CreatedAt, Payload)
    VALUES (@ReceiverId, @ReceiverChangedSeq, @Now, @Changed);

    SELECT e.UserId, e.Seq, e.Payload
    FROM dbo.UserEvent AS e
    WHERE
        (e.UserId = @SenderId AND e.Seq IN (@SentSeq, @SenderChangedSeq))
        OR (e.UserId = @ReceiverId AND (e.Seq = @ReceivedSeq OR e.Seq = @ReceiverChangedSeq))
    ORDER BY CASE
        WHEN e.UserId = @SenderId AND e.Seq = @SentSeq THEN 1
        WHEN e.UserId = @ReceiverId AND e.Seq = @ReceivedSeq THEN 2
        WHEN e.UserId = @SenderId THEN 3
        ELSE 4
    END;
END;
GO
