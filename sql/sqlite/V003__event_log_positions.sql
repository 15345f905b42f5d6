-- A position in the whole event log that is never handed out twice.
--
-- A server tails UserEvent for events other processes committed (a separate moderation
-- worker, `parley user` commands, another server on this file), reading the rows after
-- the last EventId it saw. A plain rowid is max + 1: once pruning empties the table,
-- positions start again from 1 and a tail would skip them. AUTOINCREMENT never reuses
-- one, so the table is rebuilt with it (SQLite cannot change a column in place); the
-- copied rows keep their positions, and the counter starts above the highest.

CREATE TABLE UserEventLog (
    EventId             INTEGER PRIMARY KEY AUTOINCREMENT,
    UserId              INTEGER NOT NULL,
    Seq                 INTEGER NOT NULL,
    CreatedAt           INTEGER NOT NULL,
    Payload             TEXT    NOT NULL,
    UNIQUE (UserId, Seq)
);

INSERT INTO UserEventLog (EventId, UserId, Seq, CreatedAt, Payload)
SELECT EventId, UserId, Seq, CreatedAt, Payload FROM UserEvent ORDER BY EventId;

DROP TABLE UserEvent;

ALTER TABLE UserEventLog RENAME TO UserEvent;
