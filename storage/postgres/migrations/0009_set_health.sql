-- A set's health as the workers see it: the last error a worker met
-- loading revision load_rev of the set ('' once one loaded it), and when
-- a worker started importing revision import_rev (hashset push tells the
-- user when no worker has).
ALTER TABLE hash_sets
	ADD COLUMN load_error text NOT NULL DEFAULT '',
	ADD COLUMN load_rev bigint NOT NULL DEFAULT 0,
	ADD COLUMN import_started_at timestamptz,
	ADD COLUMN import_rev bigint NOT NULL DEFAULT 0;
