-- FindUsers: prefix match on the case-folded user name or display name. The caller
-- passes the prefix and its exclusive upper bound (the prefix followed by U+FFFF), so
-- both are range seeks on BIN2 (code-unit ordered) indexes; natively compiled modules
-- have no LIKE. An empty prefix never reaches here (the directory is not listable).
CREATE OR ALTER PROCEDURE dbo.FindUsers
    @Prefix nvarchar(256),
    @PrefixEnd nvarchar(257),
    @ExcludeUserId bigint,
    @Limit int
WITH NATIVE_COMPILATION, SCHEMABINDING
AS
BEGIN ATOMIC WITH (
    TRANSACTION ISOLATION LEVEL = SNAPSHOT, LANGUAGE = N'us_english', DELAYED_DURABILITY = OFF
)
    SELECT TOP (@Limit) UserId, Username, DisplayName, Role
    FROM dbo.ChatUser
    WHERE
        (
            (UsernameFolded >= @Prefix AND UsernameFolded < @PrefixEnd)
            OR (DisplayNameFolded >= @Prefix AND DisplayNameFolded < @PrefixEnd)
        )
        AND UserId <> @ExcludeUserId
    ORDER BY UsernameFolded;
END;
GO
