-- Casebook schema, SQLite. Keep in step with migrations/postgres/0001_init.sql:
-- same tables, same columns, same constraints. Times are microseconds since
-- the Unix epoch, UTC; offsets are seconds east of UTC.

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
-- writer_lock is updated first in every write transaction, so SQLite takes its
-- write lock at once (and waits for it) instead of failing on an upgrade.
-- case_seq and token_seq stand in for PostgreSQL's sequences.
INSERT INTO counters (name, value) VALUES
    ('writer_lock', 0), ('case_seq', 0), ('token_seq', 0), ('received', 0), ('duplicates', 0);

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    is_staff INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE org_domains (
    domain TEXT PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations (id)
);

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    display_name TEXT NOT NULL,
    org_id INTEGER REFERENCES organizations (id),
    role TEXT,
    merged_into INTEGER REFERENCES people (id),
    created_at INTEGER NOT NULL
);

CREATE TABLE person_names (
    person_id INTEGER NOT NULL REFERENCES people (id),
    name TEXT NOT NULL,
    PRIMARY KEY (person_id, name)
);

CREATE TABLE person_addresses (
    address TEXT PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id)
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    priority TEXT NOT NULL,
    customer_org_id INTEGER REFERENCES organizations (id),
    customer_name TEXT NOT NULL,
    owner_person_id INTEGER REFERENCES people (id),
    product TEXT,
    version TEXT,
    problem_definition TEXT,
    scope TEXT,
    status TEXT NOT NULL,
    stage TEXT NOT NULL,
    tracking_token TEXT,
    split_from INTEGER REFERENCES cases (id),
    merged_into INTEGER REFERENCES cases (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Every label that points at a case: its number, its token, aliases and the numbers of merged cases.
CREATE TABLE case_labels (
    label TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    seq INTEGER
);
CREATE INDEX case_labels_seq ON case_labels (seq);
CREATE INDEX case_labels_case ON case_labels (case_id);

CREATE TABLE case_participants (
    case_id INTEGER NOT NULL REFERENCES cases (id),
    address TEXT NOT NULL,
    PRIMARY KEY (case_id, address)
);

CREATE TABLE raw_messages (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    stored_at INTEGER NOT NULL
);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    raw_sha256 TEXT NOT NULL REFERENCES raw_messages (sha256),
    message_id TEXT UNIQUE,
    fingerprint TEXT NOT NULL,
    direction TEXT NOT NULL,
    from_name TEXT,
    from_address TEXT,
    to_json TEXT NOT NULL,
    cc_json TEXT NOT NULL,
    subject TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    sent_offset INTEGER NOT NULL,
    body_text TEXT NOT NULL,
    quoted_from INTEGER,
    matched_by TEXT NOT NULL,
    thread_index_root TEXT,
    problems_json TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX messages_case ON messages (case_id, sent_at);
CREATE INDEX messages_thread_index ON messages (thread_index_root);
CREATE UNIQUE INDEX messages_raw ON messages (raw_sha256);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    message_row_id INTEGER NOT NULL REFERENCES messages (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_row_id);

CREATE TABLE timeline (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT,
    message_row_id INTEGER REFERENCES messages (id),
    data_json TEXT NOT NULL
);
CREATE INDEX timeline_case ON timeline (case_id, at);

CREATE TABLE quarantine (
    id INTEGER PRIMARY KEY,
    raw_sha256 TEXT NOT NULL UNIQUE REFERENCES raw_messages (sha256),
    reason_code TEXT NOT NULL,
    reason TEXT NOT NULL,
    from_address TEXT,
    subject TEXT,
    message_id TEXT,
    fingerprint TEXT,
    origin TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    resolved_at INTEGER,
    resolution TEXT,
    case_id INTEGER REFERENCES cases (id)
);
CREATE INDEX quarantine_message_id ON quarantine (message_id);
