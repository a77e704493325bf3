-- The name an archive member has in its archive, Go-quoted, when
-- sanitising it changed it: chain of custody keeps what the archive said.
ALTER TABLE items ADD COLUMN raw_name text NOT NULL DEFAULT '';
