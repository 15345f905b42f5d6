-- Parley on SQL Server, step 1: refuse early, with a sentence a DBA can act on, when the
-- database cannot hold memory-optimized tables, and set the database options the
-- procedures rely on.
--
-- Write-once: recorded (with its checksum) in dbo.SchemaVersion when applied and never
-- edited afterwards; changes go into a new V###__name.sql file. Every statement is
-- guarded so that a run interrupted half-way can simply be run again: DDL on
-- memory-optimized tables cannot run inside a user transaction, so a migration is not
-- atomic and must be idempotent instead.
--
-- Needs SQL Server 2017 (14.x) or later (natively compiled CASE and JSON_MODIFY, used by
-- the procedures), or Azure SQL Database / Managed Instance on a tier with In-Memory OLTP.

IF CAST(SERVERPROPERTY('EngineEdition') AS int) NOT IN (5, 8)
    AND CAST(SERVERPROPERTY('ProductMajorVersion') AS int) < 14
    THROW 50100, N'Parley needs SQL Server 2017 (14.x) or later: its procedures use natively compiled CASE and JSON_MODIFY.', 1;
GO

IF (
    SELECT compatibility_level FROM sys.databases WHERE database_id = DB_ID()
) < 140
    THROW 50101, N'Parley needs database compatibility level 140 or higher: ALTER DATABASE CURRENT SET COMPATIBILITY_LEVEL = 140 (see docs/mssql.md).', 1;
GO

-- Azure SQL Database (engine edition 5) has no filegroups: In-Memory OLTP is either part
-- of the service tier or not. Everywhere else a MEMORY_OPTIMIZED_DATA filegroup with a
-- container must exist before the first memory-optimized table is created.
IF CAST(SERVERPROPERTY('EngineEdition') AS int) = 5
    AND CAST(DATABASEPROPERTYEX(DB_NAME(), 'IsXTPSupported') AS int) = 0
    THROW 50102, N'This Azure SQL Database service tier has no In-Memory OLTP; Parley needs a Premium, Business Critical or Hyperscale tier (see docs/mssql.md).', 1;
GO

IF CAST(SERVERPROPERTY('EngineEdition') AS int) <> 5
    AND NOT EXISTS (
        SELECT 1
        FROM sys.filegroups AS fg
        INNER JOIN sys.database_files AS df ON fg.data_space_id = df.data_space_id
        WHERE fg.type = 'FX'
    )
    THROW 50103, N'The database has no MEMORY_OPTIMIZED_DATA filegroup with a container. Add one before running Parley''s migrations: ALTER DATABASE CURRENT ADD FILEGROUP parley_mod CONTAINS MEMORY_OPTIMIZED_DATA; then ALTER DATABASE CURRENT ADD FILE (NAME = ''parley_mod'', FILENAME = ''<a folder on the server>'') TO FILEGROUP parley_mod; (see docs/mssql.md).', 1;
GO

-- Interpreted procedures (the ones that also touch the disk-based cold table) read and
-- write memory-optimized tables inside explicit transactions; this option gives those
-- accesses SNAPSHOT isolation without a table hint on every statement.
IF NOT EXISTS (
    SELECT 1 FROM sys.databases
    WHERE database_id = DB_ID() AND is_memory_optimized_elevate_to_snapshot_on = 1
)
    ALTER DATABASE CURRENT SET MEMORY_OPTIMIZED_ELEVATE_TO_SNAPSHOT = ON;
GO
