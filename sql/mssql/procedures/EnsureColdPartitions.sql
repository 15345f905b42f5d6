-- dbo.EnsureColdPartitions: make sure dbo.ChatMessageCold has a monthly partition for
-- every month up to the one after @Until (and after now), one SPLIT per missing month.
-- Splitting the empty rightmost partition is a metadata-only change, so running this
-- before every archive batch costs nothing once the months exist.
--
-- Interpreted: partition DDL is not available to native modules.
CREATE OR ALTER PROCEDURE dbo.EnsureColdPartitions
    @Until datetime2(6)
AS
BEGIN
    SET NOCOUNT ON;
    DECLARE @Latest datetime2(6) = CASE
        WHEN @Until > SYSUTCDATETIME() THEN @Until ELSE SYSUTCDATETIME()
    END;
    DECLARE @Target datetime2(6) = DATEADD(
        MONTH, 1, CAST(DATEFROMPARTS(YEAR(@Latest), MONTH(@Latest), 1) AS datetime2(6))
    );
    DECLARE @Last datetime2(6) = (
        SELECT MAX(CAST(rv.value AS datetime2(6)))
        FROM sys.partition_range_values AS rv
        INNER JOIN sys.partition_functions AS pf ON rv.function_id = pf.function_id
        WHERE pf.name = N'pfChatMessageMonth'
    );
    WHILE @Last < @Target
    BEGIN
        SET @Last = DATEADD(MONTH, 1, @Last);
        ALTER PARTITION SCHEME psChatMessageMonth NEXT USED [PRIMARY];
        ALTER PARTITION FUNCTION pfChatMessageMonth () SPLIT RANGE (@Last);
    END;
END;
GO
