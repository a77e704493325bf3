-- Winnow lab service schema, version 7: the review workspace (issue 17)
-- and decisions that say what the reviewer meant (issue 11).

-- When the current claim began: a reviewer may undo what they decided
-- since (the correction window ends when the group is released).
ALTER TABLE review_groups ADD COLUMN claimed_at timestamptz;
UPDATE review_groups SET claimed_at = updated_at WHERE claimed_by IS NOT NULL;

-- The group's priority score, computed by the API server from the
-- group's features over the whole lab (scored_at NULL: not yet), so the
-- grid sorts by an index instead of scoring every group per request.
ALTER TABLE review_groups ADD COLUMN priority double precision NOT NULL DEFAULT 0;
ALTER TABLE review_groups ADD COLUMN scored_at timestamptz;
CREATE INDEX review_groups_priority ON review_groups (priority DESC, id) WHERE merged_into IS NULL;
CREATE INDEX review_groups_unscored ON review_groups (id)
	WHERE merged_into IS NULL AND (scored_at IS NULL OR scored_at < updated_at);
CREATE INDEX review_groups_scored ON review_groups (scored_at) WHERE merged_into IS NULL;

-- What the grid filters and sorts on, per content (EXIF is a property of
-- the bytes) and per item (where it was found).
ALTER TABLE review_members ADD COLUMN size bigint NOT NULL DEFAULT 0;
ALTER TABLE review_members ADD COLUMN make text NOT NULL DEFAULT '';
ALTER TABLE review_members ADD COLUMN model text NOT NULL DEFAULT '';
ALTER TABLE review_members ADD COLUMN serial text NOT NULL DEFAULT '';
ALTER TABLE review_members ADD COLUMN device text NOT NULL DEFAULT '';
ALTER TABLE review_members ADD COLUMN sort_path text NOT NULL DEFAULT '';
ALTER TABLE review_items ADD COLUMN path text NOT NULL DEFAULT '';
ALTER TABLE review_items ADD COLUMN inner_path text NOT NULL DEFAULT '';

-- Existing rows: the same values the workers now record. The device key
-- is triage.DeviceKey's (serial number first, else model and software).
UPDATE review_items ri SET path = i.path, inner_path = i.inner_path FROM items i WHERE i.id = ri.item_id;
UPDATE review_members m SET size = i.size, sort_path = i.path || CASE WHEN i.inner_path = '' THEN '' ELSE '/' || i.inner_path END,
	make = coalesce(i.exif->>'Make', ''), model = coalesce(i.exif->>'Model', ''),
	serial = coalesce(nullif(i.exif->>'SerialNumber', ''), i.exif->>'InternalSerialNumber', ''),
	device = CASE
		WHEN coalesce(nullif(i.exif->>'SerialNumber', ''), i.exif->>'InternalSerialNumber', '') <> '' THEN
			'serial:' || lower(coalesce(i.exif->>'Make', '')) || '/' || lower(coalesce(nullif(i.exif->>'SerialNumber', ''), i.exif->>'InternalSerialNumber'))
		WHEN coalesce(i.exif->>'Model', '') <> '' AND coalesce(i.exif->>'Software', '') <> '' THEN
			'model:' || lower(coalesce(i.exif->>'Make', '')) || '/' || lower(i.exif->>'Model') || '/' || lower(i.exif->>'Software')
		ELSE '' END
FROM (SELECT DISTINCT ON (ri.member_id) ri.member_id, it.* FROM review_items ri JOIN items it ON it.id = ri.item_id
	ORDER BY ri.member_id, ri.item_id) i
WHERE i.member_id = m.id;

-- The group's priority, copied to its members so the grid's default sort
-- walks one index.
ALTER TABLE review_members ADD COLUMN priority double precision NOT NULL DEFAULT 0;
CREATE INDEX review_members_priority ON review_members (priority DESC, group_id, id);
CREATE INDEX review_members_lane_priority ON review_members (lane, priority DESC, group_id, id);
CREATE INDEX review_members_group_id ON review_members (group_id, id);
CREATE INDEX review_members_device ON review_members (device) WHERE device <> '';
CREATE INDEX review_members_serial ON review_members (lower(serial)) WHERE serial <> '';
CREATE INDEX review_members_captured ON review_members (captured_at, id);
CREATE INDEX review_members_size ON review_members (size, id);
CREATE INDEX review_members_path ON review_members (sort_path, id);
CREATE INDEX review_members_status ON review_members (status, lane, id);
CREATE INDEX review_items_exhibit ON review_items (exhibit_id, member_id);
-- Path substring search: a trigram index (pg_trgm, a trusted extension,
-- created once per database in public, so every schema shares it; the
-- lock keeps migrations of several schemas from racing to create it).
SELECT pg_advisory_xact_lock(7467847501);
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
DO $$
DECLARE s text;
BEGIN
	SELECT n.nspname INTO s FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
	EXECUTE format('CREATE INDEX review_items_path_trgm ON review_items USING gin ((path || ''/'' || inner_path) %I.gin_trgm_ops)', s);
END $$;

-- The free text of a vote (series, flags, tags, notes) belongs to the case
-- it was written in. Votes cast before this version get the case when
-- their content was in one case only; otherwise their text is kept but
-- shown and exported nowhere.
ALTER TABLE review_votes ADD COLUMN case_id bigint REFERENCES cases(id);
UPDATE review_votes v SET case_id = c.case_id
FROM (SELECT member_id, min(case_id) AS case_id FROM review_items GROUP BY member_id HAVING count(DISTINCT case_id) = 1) c
WHERE c.member_id = v.member_id AND (v.series <> '' OR v.notes <> '' OR v.tags <> '{}' OR v.flags <> '{}');
-- An adjudicator's vote is kept like any other (kind 'adjudication'), so
-- its text has a case too.
ALTER TABLE review_votes ADD COLUMN kind text NOT NULL DEFAULT 'vote' CHECK (kind IN ('vote', 'adjudication'));
ALTER TABLE review_votes DROP CONSTRAINT review_votes_pkey;
ALTER TABLE review_votes ADD PRIMARY KEY (member_id, reviewer_id, kind);

-- A decision records the category only; the text lives in the votes.
-- Overturns by an adjudicator are kept with their reason.
ALTER TABLE review_decisions DROP COLUMN series;
ALTER TABLE review_decisions DROP COLUMN flags;
ALTER TABLE review_decisions DROP COLUMN tags;
ALTER TABLE review_decisions DROP COLUMN notes;
ALTER TABLE review_decisions ADD COLUMN overturned_by text NOT NULL DEFAULT '';
ALTER TABLE review_decisions ADD COLUMN overturn_reason text NOT NULL DEFAULT '';
ALTER TABLE review_decisions ADD COLUMN previous_category text NOT NULL DEFAULT '';
ALTER TABLE review_decisions ADD COLUMN overturned_at timestamptz;

-- Entries withdrawn from a set (an overturned or undone promotion). The
-- entry keeps its number and its row; the workers load it as a
-- placeholder that matches nothing.
CREATE TABLE set_entry_withdrawals (
	set_id     bigint NOT NULL,
	entry      bigint NOT NULL,
	version    integer NOT NULL,
	reason     text NOT NULL,
	created_by text NOT NULL,
	created_at timestamptz NOT NULL,
	PRIMARY KEY (set_id, entry),
	FOREIGN KEY (set_id, entry) REFERENCES hashset_entries (set_id, entry) ON DELETE CASCADE
);
ALTER TABLE local_set_versions ADD COLUMN withdrawn integer NOT NULL DEFAULT 0;
