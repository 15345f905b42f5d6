-- CreateSession: remember a session token's hash; 51000 (NOT_FOUND) for an unknown user,
-- 51006 (CONFLICT) for a token hash already in use.
CREATE OR ALTER PROCEDURE dbo.CreateSession
    @UserId bigint,
    @TokenHash varchar(128),
    @ExpiresAt datetime2(6),
    @Device nvarchar(200),
    @Now datetime2(6)
WITH NATIVE_COMPILATION, SCHEMABINDING
AS
BEGIN ATOMIC WITH (
    TRANSACTION ISOLATION LEVEL = SNAPSHOT, LANGUAGE = N'us_english', DELAYED_DURABILITY = OFF
)
    IF NOT EXISTS (SELECT 1 FROM dbo.ChatUser WHERE UserId = @UserId)
        THROW 51000, N'No such user.', 1;
    IF EXISTS (SELECT 1 FROM dbo.UserSession WHERE TokenHash = @TokenHash)
        THROW 51006, N'That session token is already in use.', 1;

    INSERT dbo.UserSession (TokenHash, UserId, ExpiresAt, Revoked, Device, CreatedAt)
    VALUES (@TokenHash, @UserId, @ExpiresAt, 0, @Device, @Now);
END;
GO
