-- SLA clocks and the durable job runner. Keep in step with migrations/postgres/0011_sla.sql.

-- Policies, versioned: the highest version is the active one, so every instance runs the same.
CREATE TABLE sla_policies (
    version INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    activated_at INTEGER NOT NULL,
    activated_by TEXT
);

-- Holidays and make-up workdays imported from iCalendar files, added to the active policy's calendar.
CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    imported_at INTEGER NOT NULL
);

-- Each case's clocks under the active policy: the folded state (`sla::ClockState` as JSON) and
-- the instants the scheduler and the queue read. A change to a case (any timeline entry but the
-- SLA's own) clears the state and makes the case due at once (`check_at` 0), in the same
-- transaction, by the trigger below; `revision` lets the scheduler write only what it read. The
-- sweep also keeps here whether the case is open and the customer and product the rules filter on,
-- so that evaluating every open case reads this table alone.
CREATE TABLE case_clocks (
    case_id INTEGER PRIMARY KEY REFERENCES cases (id),
    revision INTEGER NOT NULL DEFAULT 0,
    policy_version INTEGER NOT NULL DEFAULT 0,
    state TEXT,
    check_at INTEGER,
    risk_at INTEGER,
    breach_at INTEGER,
    open INTEGER NOT NULL DEFAULT 1,
    customer TEXT,
    product TEXT
);
CREATE INDEX case_clocks_check ON case_clocks (check_at, case_id) WHERE check_at IS NOT NULL;
CREATE INDEX case_clocks_breach ON case_clocks (breach_at) WHERE breach_at IS NOT NULL;
CREATE INDEX case_clocks_risk ON case_clocks (risk_at) WHERE risk_at IS NOT NULL;
INSERT INTO case_clocks (case_id, check_at) SELECT id, 0 FROM cases WHERE merged_into IS NULL;

CREATE TRIGGER case_clocks_touch AFTER INSERT ON timeline
WHEN NEW.kind NOT IN ('sla_warning', 'sla_breach')
BEGIN
    INSERT INTO case_clocks (case_id, revision, check_at) VALUES (NEW.case_id, 1, 0)
        ON CONFLICT (case_id) DO UPDATE SET state = NULL, check_at = 0, revision = revision + 1;
END;

-- Every warning and breach that fired. The unique key is what makes each fire once, whichever
-- instance computed it and however often.
CREATE TABLE sla_events (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    rule TEXT NOT NULL,
    level TEXT NOT NULL,
    episode INTEGER NOT NULL,
    measure TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    fired_at INTEGER NOT NULL,
    policy_version INTEGER NOT NULL,
    actions TEXT NOT NULL,
    UNIQUE (case_id, rule, level, episode)
);
CREATE INDEX sla_events_fired ON sla_events (fired_at);

-- The durable job runner's queue: a job's name is unique, so enqueuing it twice is one job.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    lease_holder TEXT,
    lease_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX jobs_due ON jobs (state, run_at);

-- Named duties held by one instance at a time (the SLA sweep, later a mailbox's poller), taken
-- over when the holder stops renewing.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
