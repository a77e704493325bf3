-- Issue 11: a compiled set keeps each entry's kind (an NSRL list compiled
-- with an alert source is "mixed", its NSRL entries stay known-good), and
-- carries the definitions of the category schemes its entries use.
ALTER TABLE hash_sets DROP CONSTRAINT hash_sets_kind_check;
ALTER TABLE hash_sets ADD CONSTRAINT hash_sets_kind_check CHECK (kind IN ('alert', 'known-good', 'mixed'));
ALTER TABLE hash_sets ADD COLUMN schemes jsonb;
ALTER TABLE hashset_entries ADD COLUMN kind text NOT NULL DEFAULT 'alert' CHECK (kind IN ('alert', 'known-good'));
UPDATE hashset_entries e SET kind = 'known-good' FROM hash_sets s WHERE e.set_id = s.id AND s.kind = 'known-good';
