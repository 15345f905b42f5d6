-- RevokeSession: the token no longer opens a session (revoking twice is harmless).
CREATE OR ALTER PROCEDURE dbo.RevokeSession
    @TokenHash varchar(128)
WITH NATIVE_COMPILATION, SCHEMABINDING
AS
BEGIN ATOMIC WITH (
    TRANSACTION ISOLATION LEVEL = SNAPSHOT, LANGUAGE = N'us_english', DELAYED_DURABILITY = OFF
)
    UPDATE dbo.UserSession SET Revoked = 1 WHERE TokenHash = @TokenHash;
END;
GO
