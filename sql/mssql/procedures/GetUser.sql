-- GetUser: one account by id (no row when unknown).
CREATE OR ALTER PROCEDURE dbo.GetUser
    @UserId bigint
WITH NATIVE_COMPILATION, SCHEMABINDING
AS
BEGIN ATOMIC WITH (
    TRANSACTION ISOLATION LEVEL = SNAPSHOT, LANGUAGE = N'us_english', DELAYED_DURABILITY = OFF
)
    SELECT UserId, Username, DisplayName, Role
    FROM dbo.ChatUser
    WHERE UserId = @UserId;
END;
GO
