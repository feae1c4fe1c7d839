-- Timeline entries are looked up by their message (case split, the integrity check).
CREATE INDEX timeline_message ON timeline (message_row_id);
