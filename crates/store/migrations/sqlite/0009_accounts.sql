-- Accounts: mail that belongs to no case, and the second factor. Keep in step with
-- migrations/postgres/0009_accounts.sql.

-- Invitations and password resets wait in the one outbox beside replies: such a row names no
-- message on a case, only the raw message it sends and what it is for. SQLite cannot drop a NOT
-- NULL constraint in place, so the table is built anew.
CREATE TABLE outbox_next (
    id INTEGER PRIMARY KEY,
    message_row_id INTEGER UNIQUE REFERENCES messages (id),
    case_id INTEGER REFERENCES cases (id),
    raw_sha256 TEXT NOT NULL REFERENCES raw_messages (sha256),
    purpose TEXT NOT NULL DEFAULT 'case',
    recipients TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    last_error TEXT
);
INSERT INTO outbox_next (id, message_row_id, case_id, raw_sha256, recipients, state, attempts,
                         next_attempt_at, created_at, sent_at, last_error)
    SELECT id, message_row_id, case_id, raw_sha256, recipients, state, attempts, next_attempt_at,
           created_at, sent_at, last_error
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_next RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

-- TOTP (RFC 6238) for staff: `users.totp_secret` (base32) is set once a code confirms it; until
-- then the secret being enrolled waits in `totp_pending`. The last accepted time step is kept so a
-- code is never accepted twice.
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;

-- Single-use recovery codes, stored as SHA-256 like every other secret.
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- A sign-in whose password was right and whose second factor is still to come. It grants nothing:
-- only the code page reads it, a few times at most, for a few minutes.
CREATE TABLE sign_in_challenges (
    id INTEGER PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    used_at INTEGER,
    client TEXT NOT NULL
);
CREATE INDEX sign_in_challenges_user ON sign_in_challenges (user_id);
