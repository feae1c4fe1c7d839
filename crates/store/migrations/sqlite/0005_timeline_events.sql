-- The timeline as an audit trail. Every entry says who may read it (visibility: public or internal)
-- and which customer organization it came from (org_id: the customer of the case it was recorded on,
-- kept when a merge moves it). Edits, merges and splits, stored until now as notes with an English
-- sentence, become entries of their own kinds with structured data.
ALTER TABLE timeline ADD COLUMN visibility TEXT NOT NULL DEFAULT 'internal';
ALTER TABLE timeline ADD COLUMN org_id INTEGER REFERENCES organizations (id);

UPDATE timeline SET org_id = (SELECT customer_org_id FROM cases WHERE cases.id = timeline.case_id);
-- An email's organization is its sender's where the sender's domain belongs to a customer.
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

-- An edit becomes one field_change entry per field it changed.
INSERT INTO timeline (case_id, kind, at, actor, message_row_id, data_json, visibility, org_id)
SELECT t.case_id, 'field_change', t.at, t.actor, NULL,
       json_object('field', c.key, 'from', json_extract(c.value, '$.from'), 'to', json_extract(c.value, '$.to')),
       'public', t.org_id
FROM timeline t, json_each(t.data_json, '$.changes') c
WHERE t.kind = 'note' AND json_extract(t.data_json, '$.event') = 'edited'
ORDER BY t.id, c.key;
DELETE FROM timeline WHERE kind = 'note' AND json_extract(data_json, '$.event') = 'edited';

UPDATE timeline
SET kind = 'merge',
    data_json = json_object('side', 'merged_in', 'case', json_extract(data_json, '$.from'), 'other_customer', NULL, 'made_internal', 0)
WHERE kind = 'note' AND json_extract(data_json, '$.event') = 'merged';
UPDATE timeline
SET kind = 'split',
    data_json = json_object('side', 'split_off', 'case', json_extract(data_json, '$.case'),
        'title', COALESCE((SELECT title FROM cases WHERE number = json_extract(timeline.data_json, '$.case')), ''), 'messages', 0)
WHERE kind = 'note' AND json_extract(data_json, '$.event') = 'split_to';
UPDATE timeline
SET kind = 'split',
    data_json = json_object('side', 'split_from', 'case', json_extract(data_json, '$.case'),
        'title', (SELECT title FROM cases WHERE id = timeline.case_id), 'messages', 0)
WHERE kind = 'note' AND json_extract(data_json, '$.event') = 'split_from';

-- The opening of a case is a status change from nothing to new.
UPDATE timeline SET data_json = json_object('from', NULL, 'to', 'new')
WHERE kind = 'status_change' AND json_extract(data_json, '$.event') = 'created';

-- Status changes (and the summaries they carry) are public.
UPDATE timeline SET visibility = 'public' WHERE kind = 'status_change';

-- An email is public when someone outside the staff organization sent it or is among its recipients;
-- mail from thread exports (matched_by import) names no recipients and stays internal.
UPDATE timeline SET visibility = 'public'
WHERE message_row_id IN (
    SELECT m.id FROM messages m
    WHERE m.matched_by <> 'import' AND (
        m.direction = 'inbound_email' OR EXISTS (
            SELECT 1 FROM (
                SELECT lower(json_extract(value, '$.address')) AS address FROM json_each(m.to_json)
                UNION ALL
                SELECT lower(json_extract(value, '$.address')) AS address FROM json_each(m.cc_json)
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

-- Mail of another organization than its case's customer stays internal there; so does all mail on a
-- case that had a case of another customer merged into it (which entries came with it is not known).
UPDATE timeline SET visibility = 'internal'
WHERE message_row_id IS NOT NULL AND (
    org_id IS NOT (SELECT customer_org_id FROM cases WHERE id = timeline.case_id)
    OR EXISTS (
        SELECT 1 FROM cases g JOIN cases k ON k.id = g.merged_into
        WHERE k.id = timeline.case_id AND g.customer_org_id IS NOT k.customer_org_id));

-- A quarantine entry a person dismissed stays, with its raw bytes: the reason they gave.
ALTER TABLE quarantine ADD COLUMN note TEXT;
