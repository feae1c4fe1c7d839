-- Who is writing on which case right now, by person (one user in two tabs is one writer): the
-- composer pings, other composers warn. Old rows mean nothing; the next ping overwrites them.
CREATE TABLE composing (
    case_id INTEGER NOT NULL REFERENCES cases (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    at INTEGER NOT NULL,
    PRIMARY KEY (case_id, person_id)
);

-- The queue counts cases per status on every page: a partial index over the cases that count
-- (not merged away) answers that without reading the table.
CREATE INDEX cases_status_unmerged ON cases (status) WHERE merged_into IS NULL;
