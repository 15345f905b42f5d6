-- AppendAuditLog: one moderator action (@ActorId NULL for the pipeline itself) in the
-- append-only audit log.
--
-- Interpreted: dbo.ModerationAudit is disk-based (history, kept indefinitely).
CREATE OR ALTER PROCEDURE dbo.AppendAuditLog
    @ActorId bigint,
    @Action nvarchar(64),
    @TargetKind varchar(16),
    @TargetId bigint,
    @Detail nvarchar(2000),
    @Now datetime2(6)
AS
BEGIN
    SET NOCOUNT ON;
    INSERT dbo.ModerationAudit (ActorId, Action, TargetKind, TargetId, Detail, CreatedAt)
    VALUES (@ActorId, @Action, @TargetKind, @TargetId, @Detail, @Now);
END;
GO
