-- Who is writing on which case right now, by person (one user in two tabs is one writer): the
-- composer pings, other composers warn. Old rows mean nothing; the next ping overwrites them.
CREATE TABLE composing (
    case_id BIGINT NOT NULL REFERENCES cases (id),
    person_id BIGINT NOT NULL REFERENCES people (id),
    at BIGINT NOT NULL,
    PRIMARY KEY (case_id, person_id)
);

-- A ping wakes the live streams of every instance, as a new timeline entry does (migration 7's
-- trigger and channel): delivered at commit.
CREATE TRIGGER composing_notify AFTER INSERT OR UPDATE ON composing
    FOR EACH STATEMENT EXECUTE FUNCTION casebook_timeline_notify();

-- The queue counts cases per status on every page: a partial index over the cases that count
-- (not merged away) answers that without reading the table.
CREATE INDEX cases_status_unmerged ON cases (status) WHERE merged_into IS NULL;
