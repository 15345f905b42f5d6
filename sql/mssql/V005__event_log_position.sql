-- Parley on SQL Server, step 5: a position for every event in the whole event log.
--
-- A server tails the log for events other processes committed (a separate moderation
-- worker, `parley user` commands, another server on this database): dbo.GetEventsAfter
-- reads the events after the last position it saw. IDENTITY (seed and increment 1, the
-- only form memory-optimized tables allow) numbers the rows as they are inserted, so
-- the procedures that append events need no change; existing rows get positions too.
-- A range index serves "after this position, in order".
--
-- Write-once, every statement guarded (see V001).

IF COL_LENGTH(N'dbo.UserEvent', N'EventId') IS NULL
    ALTER TABLE dbo.UserEvent ADD EventId bigint IDENTITY (1, 1) NOT NULL;
GO

IF NOT EXISTS (
    SELECT 1 FROM sys.indexes
    WHERE object_id = OBJECT_ID(N'dbo.UserEvent') AND name = N'IX_UserEvent_EventId'
)
    -- Through sp_executesql because sqlfluff's T-SQL grammar lacks ALTER TABLE ... ADD
    -- INDEX (as in V004).
    EXEC sys.sp_executesql
        N'ALTER TABLE dbo.UserEvent ADD INDEX IX_UserEvent_EventId NONCLUSTERED (EventId);';
GO
