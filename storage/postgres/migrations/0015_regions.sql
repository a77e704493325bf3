-- Region hashes (triage.Region: hashes of parts of a picture, so that
-- crops of it match), as records of 42 bytes: kind (1 = the centre 80%),
-- PDQ quality, the 32-byte PDQ, the pHash (little-endian). NULL: none.
-- An item keeps its own (Item.Regions), and the local set's entries
-- promoted from review carry them (Entry.Regions).
ALTER TABLE items ADD COLUMN regions bytea;
ALTER TABLE hashset_entries ADD COLUMN regions bytea;

-- The region of the entry's image that a match went through
-- (triage.Match.Region; 1 = the centre), 0 for the whole image.
ALTER TABLE matches ADD COLUMN region smallint NOT NULL DEFAULT 0 CHECK (region >= 0);
