-- GetCredentials: what a login checks, looked up by the case-folded user name.
CREATE OR ALTER PROCEDURE dbo.GetCredentials
    @UsernameFolded nvarchar(128)
WITH NATIVE_COMPILATION, SCHEMABINDING
AS
BEGIN ATOMIC WITH (
    TRANSACTION ISOLATION LEVEL = SNAPSHOT, LANGUAGE = N'us_english', DELAYED_DURABILITY = OFF
)
    SELECT UserId, Username, DisplayName, Role, PasswordHash, SendingBlocked
    FROM dbo.ChatUser
    WHERE UsernameFolded = @UsernameFolded;
END;
GO
