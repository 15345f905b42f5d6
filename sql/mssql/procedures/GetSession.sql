-- GetSession: the live session of a token hash with its user; no row when the token is
-- unknown, revoked or expired.
CREATE OR ALTER PROCEDURE dbo.GetSession
    @TokenHash varchar(128),
    @Now datetime2(6)
WITH NATIVE_COMPILATION, SCHEMABINDING
AS
BEGIN ATOMIC WITH (
    TRANSACTION ISOLATION LEVEL = SNAPSHOT, LANGUAGE = N'us_english', DELAYED_DURABILITY = OFF
)
    SELECT u.UserId, u.Username, u.DisplayName, u.Role, s.ExpiresAt
    FROM dbo.UserSession AS s
    INNER JOIN dbo.ChatUser AS u ON s.UserId = u.UserId
    WHERE s.TokenHash = @TokenHash AND s.Revoked = 0 AND s.ExpiresAt > @Now;
END;
GO
