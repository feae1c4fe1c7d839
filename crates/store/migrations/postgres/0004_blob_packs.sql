-- Raw messages are written in packs, one file per ingest batch, instead of one file per message.
-- A raw message without a pack is a file of its own (written before packs). Attachments are not
-- stored apart: they are read from their raw message, and their SHA-256 tells the bytes are theirs.
ALTER TABLE raw_messages ADD COLUMN pack TEXT;
ALTER TABLE raw_messages ADD COLUMN pack_offset BIGINT;

-- The raw hash is unique in raw_messages and a raw message is placed once (ingest and quarantine
-- decisions hold the writer lock); a second index of random keys on messages cost every import.
DROP INDEX messages_raw;
