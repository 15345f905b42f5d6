-- The moderation pipeline: decisions, the human review queue, votes, the audit log and the
-- labels confirmed by reviewers (the only message texts kept for training).
--
-- Write-once: recorded in SchemaVersion when applied; changes go into a new file.
-- Times are INTEGER microseconds since the Unix epoch, UTC, as in V001.

-- The durable queue is ChatMessage rows whose ModerationStatus is still 0 (unspecified):
-- a partial index keeps the worker's scan proportional to the backlog, not the table.
CREATE INDEX IX_ChatMessage_Unmoderated ON ChatMessage (MessageId) WHERE ModerationStatus = 0;

-- One automatic decision per message. The primary key is what makes applying a decision
-- idempotent: a restarted worker that decides a message again cannot record it twice.
CREATE TABLE ModerationDecision (
    MessageId           INTEGER PRIMARY KEY,
    Status              INTEGER NOT NULL,
    Verdict             TEXT    NOT NULL,  -- approve | flag | review | remove
    Band                TEXT    NOT NULL,
    Overall             REAL    NOT NULL,
    Category            TEXT,
    RuleName            TEXT,
    Tier                INTEGER NOT NULL,
    Reason              TEXT    NOT NULL DEFAULT '',
    ModelVersion        TEXT    NOT NULL DEFAULT '',
    CommittedAt         INTEGER NOT NULL,  -- the message's time: latency is DecidedAt - this
    DecidedAt           INTEGER NOT NULL
);

CREATE INDEX IX_ModerationDecision_DecidedAt ON ModerationDecision (DecidedAt);

-- Items waiting for (or decided by) human reviewers; one per message.
CREATE TABLE ReviewItem (
    ItemId              INTEGER PRIMARY KEY AUTOINCREMENT,
    MessageId           INTEGER NOT NULL UNIQUE,
    Source              TEXT    NOT NULL CHECK (Source IN ('model', 'flag', 'control')),
    Priority            INTEGER NOT NULL,
    Category            TEXT,
    Reason              TEXT    NOT NULL DEFAULT '',
    FlagCount           INTEGER NOT NULL DEFAULT 0,
    VotesNeeded         INTEGER NOT NULL,
    State               TEXT    NOT NULL DEFAULT 'open' CHECK (State IN ('open', 'resolved')),
    ClaimedBy           INTEGER,
    LeaseUntil          INTEGER,
    Outcome             TEXT,              -- approve | restrict | remove, once resolved
    OutcomeCategory     TEXT,
    CreatedAt           INTEGER NOT NULL,
    ResolvedAt          INTEGER
);

CREATE INDEX IX_ReviewItem_Open ON ReviewItem (Priority DESC, ItemId) WHERE State = 'open';
CREATE INDEX IX_ReviewItem_ResolvedAt ON ReviewItem (ResolvedAt) WHERE State = 'resolved';

CREATE TABLE ReviewVote (
    ItemId              INTEGER NOT NULL,
    ModeratorId         INTEGER NOT NULL,
    Vote                TEXT    NOT NULL CHECK (Vote IN ('approve', 'restrict', 'remove')),
    Category            TEXT,
    CreatedAt           INTEGER NOT NULL,
    PRIMARY KEY (ItemId, ModeratorId)
) WITHOUT ROWID;

-- Every moderator action, append-only.
CREATE TABLE ModerationAudit (
    AuditId             INTEGER PRIMARY KEY AUTOINCREMENT,
    ActorId             INTEGER,           -- NULL for the pipeline itself
    Action              TEXT    NOT NULL,
    TargetKind          TEXT    NOT NULL,  -- message | user | review_item
    TargetId            INTEGER NOT NULL,
    Detail              TEXT    NOT NULL DEFAULT '',
    CreatedAt           INTEGER NOT NULL
);

CREATE INDEX IX_ModerationAudit_Actor ON ModerationAudit (ActorId, AuditId);

-- Labels confirmed by human review: the privacy rule of the original keeps only flagged
-- or reviewed texts for training, and this table is the only place they are copied to.
CREATE TABLE TrainingExample (
    MessageId           INTEGER PRIMARY KEY,
    Text                TEXT    NOT NULL,
    Toxic               INTEGER NOT NULL,
    Category            TEXT,
    Source              TEXT    NOT NULL,  -- the review item's source
    CreatedAt           INTEGER NOT NULL
);
