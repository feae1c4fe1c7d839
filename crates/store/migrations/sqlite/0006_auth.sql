-- Signing in. A user is a person (people) who may sign in: their role and organization are the
-- person's, never copied here. Secrets (session cookies, API tokens, one-time links) are stored
-- only as the hex SHA-256 of the random value; passwords as argon2id PHC strings. Times are
-- microseconds since the Unix epoch, UTC; booleans are 0 or 1.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL,
    -- The login lower-cased: logins compare case-insensitively.
    login_key TEXT NOT NULL UNIQUE,
    person_id INTEGER NOT NULL UNIQUE REFERENCES people (id),
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    lang TEXT,
    zone TEXT,
    totp_secret TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Sessions live in the database so that several instances share them.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    ended_at INTEGER,
    client TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Every sign-in attempt, for throttling by account (the lower-cased login) and by client address.
CREATE TABLE sign_in_attempts (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL,
    client TEXT NOT NULL,
    at INTEGER NOT NULL,
    success INTEGER NOT NULL
);
CREATE INDEX sign_in_attempts_login ON sign_in_attempts (login, at);
CREATE INDEX sign_in_attempts_client ON sign_in_attempts (client, at);
CREATE INDEX sign_in_attempts_at ON sign_in_attempts (at);

-- Who did what to whom: sign-ins, users, roles, passwords, tokens. Actions are identifiers; the
-- details are JSON values, never a sentence.
CREATE TABLE admin_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details_json TEXT NOT NULL,
    client TEXT
);
CREATE INDEX admin_log_at ON admin_log (at);

-- Single-use, expiring links: invitations and password resets.
CREATE TABLE one_time_links (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX one_time_links_user ON one_time_links (user_id);
