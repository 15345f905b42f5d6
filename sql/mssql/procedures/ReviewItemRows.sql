-- dbo.ReviewItemRows: the review items named in the caller's #ReviewItems (Ord, ItemId),
-- as two result sets the store builds ReviewItem objects from: the items in #ReviewItems
-- order (ItemId, MessageId, Source, Priority, Category, Reason, FlagCount, VotesNeeded,
-- State, ClaimedBy, LeaseUntil, Outcome, OutcomeCategory, CreatedAt, ResolvedAt, the
-- automatic decision's Verdict, then the message's columns as GetMessage returns them),
-- then their votes (ItemId, ModeratorId, Vote, Category, CreatedAt) in the order cast.
-- Shared by ListReviewQueue, GetReviewItem, ClaimReviewItem and CastReviewVote.
--
-- Interpreted: the message may be cold (dbo.ChatMessageAll) and the items are on disk.
CREATE OR ALTER PROCEDURE dbo.ReviewItemRows
AS
BEGIN
    SET NOCOUNT ON;
    SELECT
        i.ItemId, i.MessageId, i.Source, i.Priority, i.Category, i.Reason, i.FlagCount,
        i.VotesNeeded, i.State, i.ClaimedBy, i.LeaseUntil, i.Outcome, i.OutcomeCategory,
        i.CreatedAt, i.ResolvedAt, d.Verdict,
        m.MessageId, m.ConversationId, m.SenderId, m.ReceiverId, m.Text, m.DateTime,
        m.ClientMessageId, m.MessageType, m.PayloadJson, m.Deleted, m.Unread,
        m.PreModerationStatus, m.ModerationStatus
    FROM #ReviewItems AS l
    INNER JOIN dbo.ReviewItem AS i ON l.ItemId = i.ItemId
    INNER JOIN dbo.ChatMessageAll AS m ON i.MessageId = m.MessageId
    LEFT JOIN dbo.ModerationDecision AS d ON i.MessageId = d.MessageId
    ORDER BY l.Ord;

    SELECT v.ItemId, v.ModeratorId, v.Vote, v.Category, v.CreatedAt
    FROM #ReviewItems AS l
    INNER JOIN dbo.ReviewVote AS v ON l.ItemId = v.ItemId
    ORDER BY v.ItemId, v.CreatedAt, v.ModeratorId;
END;
GO
