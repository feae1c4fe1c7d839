-- The timeline as an audit trail. Keep in step with migrations/sqlite/0005_timeline_events.sql.
ALTER TABLE timeline ADD COLUMN visibility TEXT NOT NULL DEFAULT 'internal';
ALTER TABLE timeline ADD COLUMN org_id BIGINT REFERENCES organizations (id);

UPDATE timeline SET org_id = (SELECT customer_org_id FROM cases WHERE cases.id = timeline.case_id);
UPDATE timeline SET org_id = (
    SELECT d.org_id FROM messages m
    JOIN org_domains d ON lower(m.from_address) LIKE '%@' || d.domain
    JOIN organizations o ON o.id = d.org_id
    WHERE m.id = timeline.message_row_id AND o.is_staff = 0 LIMIT 1)
WHERE message_row_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM messages m
    JOIN org_domains d ON lower(m.from_address) LIKE '%@' || d.domain
    JOIN organizations o ON o.id = d.org_id
    WHERE m.id = timeline.message_row_id AND o.is_staff = 0);

INSERT INTO timeline (case_id, kind, at, actor, message_row_id, data_json, visibility, org_id)
SELECT t.case_id, 'field_change', t.at, t.actor, NULL,
       jsonb_build_object('field', c.key, 'from', c.value -> 'from', 'to', c.value -> 'to')::text,
       'public', t.org_id
FROM timeline t, jsonb_each(t.data_json::jsonb -> 'changes') c
WHERE t.kind = 'note' AND t.data_json::jsonb ->> 'event' = 'edited'
ORDER BY t.id, c.key;
DELETE FROM timeline WHERE kind = 'note' AND data_json::jsonb ->> 'event' = 'edited';

UPDATE timeline
SET kind = 'merge',
    data_json = jsonb_build_object('side', 'merged_in', 'case', data_json::jsonb ->> 'from', 'other_customer', NULL, 'made_internal', 0)::text
WHERE kind = 'note' AND data_json::jsonb ->> 'event' = 'merged';
UPDATE timeline
SET kind = 'split',
    data_json = jsonb_build_object('side', 'split_off', 'case', data_json::jsonb ->> 'case',
        'title', COALESCE((SELECT title FROM cases WHERE number = timeline.data_json::jsonb ->> 'case'), ''), 'messages', 0)::text
WHERE kind = 'note' AND data_json::jsonb ->> 'event' = 'split_to';
UPDATE timeline
SET kind = 'split',
    data_json = jsonb_build_object('side', 'split_from', 'case', data_json::jsonb ->> 'case',
        'title', (SELECT title FROM cases WHERE id = timeline.case_id), 'messages', 0)::text
WHERE kind = 'note' AND data_json::jsonb ->> 'event' = 'split_from';

UPDATE timeline SET data_json = jsonb_build_object('from', NULL, 'to', 'new')::text
WHERE kind = 'status_change' AND data_json::jsonb ->> 'event' = 'created';

UPDATE timeline SET visibility = 'public' WHERE kind = 'status_change';

UPDATE timeline SET visibility = 'public'
WHERE message_row_id IN (
    SELECT m.id FROM messages m
    WHERE m.matched_by <> 'import' AND (
        m.direction = 'inbound_email' OR EXISTS (
            SELECT 1 FROM (
                SELECT lower(value ->> 'address') AS address FROM jsonb_array_elements(m.to_json::jsonb)
                UNION ALL
                SELECT lower(value ->> 'address') AS address FROM jsonb_array_elements(m.cc_json::jsonb)
            ) r
            WHERE r.address IS NOT NULL
              AND NOT EXISTS (
                  SELECT 1 FROM org_domains d JOIN organizations o ON o.id = d.org_id
                  WHERE o.is_staff = 1 AND (r.address LIKE '%@' || d.domain OR r.address LIKE '%.' || d.domain))
              AND NOT EXISTS (
                  SELECT 1 FROM person_addresses pa JOIN people p ON p.id = pa.person_id
                  JOIN organizations o ON o.id = p.org_id
                  WHERE o.is_staff = 1 AND pa.address = r.address)
        )
    )
);

UPDATE timeline SET visibility = 'internal'
WHERE message_row_id IS NOT NULL AND (
    org_id IS DISTINCT FROM (SELECT customer_org_id FROM cases WHERE id = timeline.case_id)
    OR EXISTS (
        SELECT 1 FROM cases g JOIN cases k ON k.id = g.merged_into
        WHERE k.id = timeline.case_id AND g.customer_org_id IS DISTINCT FROM k.customer_org_id));

ALTER TABLE quarantine ADD COLUMN note TEXT;
