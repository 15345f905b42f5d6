-- ListAuditLog: audit entries newest first, at most @Limit, older than @BeforeId (NULL:
-- from the newest) and only @ActorId's (NULL: everyone's). Columns: AuditId, ActorId,
-- Action, TargetKind, TargetId, Detail, CreatedAt.
--
-- Interpreted: dbo.ModerationAudit is disk-based.
CREATE OR ALTER PROCEDURE dbo.ListAuditLog
    @ActorId bigint,
    @BeforeId bigint,
    @Limit int
AS
BEGIN
    SET NOCOUNT ON;
    SELECT TOP (@Limit) a.AuditId, a.ActorId, a.Action, a.TargetKind, a.TargetId, a.Detail, a.CreatedAt
    FROM dbo.ModerationAudit AS a
    WHERE
        (@BeforeId IS NULL OR a.AuditId < @BeforeId)
        AND (@ActorId IS NULL OR a.ActorId = @ActorId)
    ORDER BY a.AuditId DESC
    OPTION (RECOMPILE);
END;
GO
