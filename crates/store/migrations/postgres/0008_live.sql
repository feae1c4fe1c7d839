-- Who is writing on which case right now (a person, so one user in two tabs is one writer): the composer pings, other composers warn. Rows older
-- than a minute mean nothing and are overwritten by the next ping.
CREATE TABLE composing (
    case_id BIGINT NOT NULL REFERENCES cases (id),
    person_id BIGINT NOT NULL REFERENCES people (id),
    at BIGINT NOT NULL,
    PRIMARY KEY (case_id, person_id)
);

-- Every new timeline entry and every ping wakes the live streams of every instance sharing this
-- database, at commit (NOTIFY is transactional); the streams then read what is new from the
-- tables, so a missed notification delays an update and never loses one.
CREATE FUNCTION casebook_feed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('casebook_feed', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;
CREATE TRIGGER timeline_notify AFTER INSERT ON timeline
    FOR EACH STATEMENT EXECUTE FUNCTION casebook_feed_notify();
CREATE TRIGGER composing_notify AFTER INSERT OR UPDATE ON composing
    FOR EACH STATEMENT EXECUTE FUNCTION casebook_feed_notify();
