-- CreateUser: a new account; 51001 (USERNAME_TAKEN) when the folded name exists. The
-- unique index on UsernameFolded settles a race between two creators (error 2627).
-- Re-runnable: CREATE OR ALTER.
CREATE OR ALTER PROCEDURE dbo.CreateUser
    @Username nvarchar(128),
    @UsernameFolded nvarchar(128),
    @DisplayName nvarchar(256),
    @DisplayNameFolded nvarchar(256),
    @PasswordHash nvarchar(512),
    @Role varchar(16),
    @Now datetime2(6)
WITH NATIVE_COMPILATION, SCHEMABINDING
AS
BEGIN ATOMIC WITH (
    TRANSACTION ISOLATION LEVEL = SNAPSHOT, LANGUAGE = N'us_english', DELAYED_DURABILITY = OFF
)
    IF EXISTS (SELECT 1 FROM dbo.ChatUser WHERE UsernameFolded = @UsernameFolded)
        THROW 51001, N'The name is taken; choose another.', 1;

    INSERT dbo.ChatUser (
        Username, UsernameFolded, DisplayName, DisplayNameFolded, PasswordHash, Role,
        SendingBlocked, SendingBlockedReason, LastEventSeq, CreatedAt
    )
    VALUES (
        @Username, @UsernameFolded, @DisplayName, @DisplayNameFolded, @PasswordHash, @Role,
        0, N'', 0, @Now
    );

    DECLARE @UserId bigint = SCOPE_IDENTITY();
    SELECT UserId, Username, DisplayName, Role
    FROM dbo.ChatUser
    WHERE UserId = @UserId;
END;
GO
