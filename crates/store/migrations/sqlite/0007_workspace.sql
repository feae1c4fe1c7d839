-- The workspace: tags, saved queue views, the outbox of mail Casebook writes, and indexes for the
-- queue's keyset paging (never OFFSET).
CREATE TABLE case_tags (
    case_id INTEGER NOT NULL REFERENCES cases (id),
    tag TEXT NOT NULL,
    PRIMARY KEY (case_id, tag)
);
CREATE INDEX case_tags_tag ON case_tags (tag, case_id);

CREATE TABLE saved_views (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, name)
);

-- Every message Casebook writes waits here until it is sent: stored raw and on its case first,
-- queued in the same transaction.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    message_row_id INTEGER NOT NULL UNIQUE REFERENCES messages (id),
    case_id INTEGER REFERENCES cases (id),
    raw_sha256 TEXT NOT NULL REFERENCES raw_messages (sha256),
    recipients TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

CREATE INDEX cases_queue_updated ON cases (updated_at, id);
CREATE INDEX cases_queue_status ON cases (status, updated_at, id);
CREATE INDEX cases_queue_customer ON cases (customer_org_id, updated_at, id);
CREATE INDEX cases_queue_owner ON cases (owner_person_id, updated_at, id);
CREATE INDEX timeline_id_case ON timeline (id, case_id);
