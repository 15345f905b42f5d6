-- SetUserRole: change an account's role; 51000 (NOT_FOUND) for an unknown user.
CREATE OR ALTER PROCEDURE dbo.SetUserRole
    @UserId bigint,
    @Role varchar(16)
WITH NATIVE_COMPILATION, SCHEMABINDING
AS
BEGIN ATOMIC WITH (
    TRANSACTION ISOLATION LEVEL = SNAPSHOT, LANGUAGE = N'us_english', DELAYED_DURABILITY = OFF
)
    UPDATE dbo.ChatUser SET Role = @Role WHERE UserId = @UserId;
    IF @@ROWCOUNT = 0
        THROW 51000, N'No such user.', 1;

    SELECT UserId, Username, DisplayName, Role
    FROM dbo.ChatUser
    WHERE UserId = @UserId;
END;
GO
