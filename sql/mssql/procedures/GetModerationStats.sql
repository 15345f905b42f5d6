-- GetModerationStats: what the moderation metrics are computed from, as four result
-- sets: every resolved review item beside the automatic verdict (Source, Verdict or NULL,
-- Outcome); the commit-to-decision latency in microseconds of the @LatencyWindow most
-- recent decisions, newest first; the backlog (hot messages still unspecified: the
-- durable queue); the open review items.
--
-- Interpreted: the review and decision tables are disk-based.
CREATE OR ALTER PROCEDURE dbo.GetModerationStats
    @LatencyWindow int
AS
BEGIN
    SET NOCOUNT ON;
    SELECT i.Source, d.Verdict, i.Outcome
    FROM dbo.ReviewItem AS i
    LEFT JOIN dbo.ModerationDecision AS d ON i.MessageId = d.MessageId
    WHERE i.State = 'resolved';

    SELECT TOP (@LatencyWindow) DATEDIFF_BIG(MICROSECOND, d.CommittedAt, d.DecidedAt) AS LatencyUs
    FROM dbo.ModerationDecision AS d
    ORDER BY d.DecidedAt DESC;

    SELECT COUNT_BIG(*) AS Backlog FROM dbo.ChatMessage WHERE ModerationStatus = 0;

    SELECT COUNT_BIG(*) AS ReviewOpen FROM dbo.ReviewItem WHERE State = 'open';
END;
GO
