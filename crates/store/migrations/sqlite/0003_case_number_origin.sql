-- Whether a case's number came from Casebook's sequence or from an earlier system (threading by title
-- links a number first seen without references only to a case Casebook numbered itself).
ALTER TABLE cases ADD COLUMN number_origin TEXT NOT NULL DEFAULT 'minted';
