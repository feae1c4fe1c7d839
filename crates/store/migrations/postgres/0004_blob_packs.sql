-- Blobs are written in packs, one file per ingest batch, instead of one file per blob.
-- A raw message or attachment without a pack is a file of its own (written before packs).
ALTER TABLE raw_messages ADD COLUMN pack TEXT;
ALTER TABLE raw_messages ADD COLUMN pack_offset BIGINT;

CREATE TABLE attachment_blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    pack TEXT NOT NULL,
    pack_offset BIGINT NOT NULL
);
