-- Real mail in and out. Keep in step with migrations/postgres/0012_mail.sql.

-- The outbox is sent by the job runner: the transaction that queues a row also queues the send
-- job `outbox:send` (the trigger below), so a message queued is a message that will be tried. The
-- job takes the due rows in batches and sends them. A row moves queued -> sending -> sent (or
-- failed); `message_id` is the one it keeps from the moment it is queued, `envelope_from` the
-- return path (unused so far: the sender's configuration decides it), `response` the server's
-- last answer.
ALTER TABLE outbox ADD COLUMN message_id TEXT;
ALTER TABLE outbox ADD COLUMN envelope_from TEXT;
ALTER TABLE outbox ADD COLUMN response TEXT;
ALTER TABLE outbox ADD COLUMN failed_recipient TEXT;
-- While a row is `sending`, its sender renews this; a row whose lease ran out was left by a
-- sender that stopped, and is sent again. `lease_token` names the batch that took it: a sender
-- taken over can record nothing.
ALTER TABLE outbox ADD COLUMN lease_until INTEGER;
ALTER TABLE outbox ADD COLUMN lease_token INTEGER;
-- Automatic mail names what it is for (`ack:CASE`, `notify:ENTRY:USER`), so that a follow-up job
-- run twice queues it once.
ALTER TABLE outbox ADD COLUMN dedupe_key TEXT;
CREATE INDEX outbox_message_id ON outbox (message_id);
CREATE UNIQUE INDEX outbox_dedupe ON outbox (dedupe_key);

CREATE TRIGGER outbox_send_job AFTER INSERT ON outbox WHEN NEW.state IN ('queued', 'sending')
BEGIN
    INSERT OR IGNORE INTO jobs (name, kind, payload, state, run_at, attempts, max_attempts, created_at)
    VALUES ('outbox:send', 'outbox_send', '', 'queued', NEW.next_attempt_at, 0, 100, NEW.created_at);
    UPDATE jobs SET state = 'queued', run_at = NEW.next_attempt_at, attempts = 0,
        last_error = NULL, finished_at = NULL
        WHERE name = 'outbox:send' AND state IN ('done', 'failed');
END;

INSERT OR IGNORE INTO jobs (name, kind, payload, state, run_at, attempts, max_attempts, created_at)
    SELECT 'outbox:send', 'outbox_send', '', 'queued', MIN(next_attempt_at), 0, 100, MIN(created_at)
    FROM outbox WHERE state = 'queued' HAVING COUNT(*) > 0;

-- Contacts whose mail bounces: not written to until mail from them arrives again.
CREATE TABLE bouncing_addresses (
    address TEXT PRIMARY KEY,
    since INTEGER NOT NULL,
    reason TEXT NOT NULL,
    status TEXT
);

-- Automatic mail per address, for the hourly limit (`CASEBOOK_AUTO_MAIL_LIMIT`); a message over
-- the limit is held (`held` set) and shown as an alert.
CREATE TABLE auto_mail (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL,
    at INTEGER NOT NULL,
    purpose TEXT NOT NULL,
    case_id INTEGER REFERENCES cases (id),
    held INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX auto_mail_address ON auto_mail (address, at);

-- Each IMAP mailbox Casebook polls: where it got to (UIDVALIDITY and the last UID taken in) and
-- how its last attempt went. One instance polls a mailbox at a time, under the lease `imap:NAME`.
CREATE TABLE mailboxes (
    name TEXT PRIMARY KEY,
    uidvalidity INTEGER,
    last_uid INTEGER NOT NULL DEFAULT 0,
    last_ok_at INTEGER,
    last_error TEXT,
    error_at INTEGER,
    failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    fetched INTEGER NOT NULL DEFAULT 0
);

-- Notifications a user turned off (a JSON array of kinds: `customer_mail`, `assignment`,
-- `upload`, `sla`); every kind is on by default.
ALTER TABLE users ADD COLUMN mail_opt_out TEXT NOT NULL DEFAULT '[]';
