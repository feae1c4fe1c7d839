-- Who is writing on which case right now (a person, so one user in two tabs is one writer): the composer pings, other composers warn. Rows older
-- than a minute mean nothing and are overwritten by the next ping.
CREATE TABLE composing (
    case_id INTEGER NOT NULL REFERENCES cases (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    at INTEGER NOT NULL,
    PRIMARY KEY (case_id, person_id)
);
