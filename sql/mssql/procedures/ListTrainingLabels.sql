-- ListTrainingLabels: the labels confirmed by human review, for `parley moderation
-- retrain`: MessageId, Text, Toxic, Category, Source, CreatedAt, in message id order.
--
-- Interpreted: dbo.TrainingExample is disk-based.
CREATE OR ALTER PROCEDURE dbo.ListTrainingLabels
AS
BEGIN
    SET NOCOUNT ON;
    SELECT t.MessageId, t.Text, t.Toxic, t.Category, t.Source, t.CreatedAt
    FROM dbo.TrainingExample AS t
    ORDER BY t.MessageId;
END;
GO
