-- What a match says beyond its distance (triage.Match): the derived view
-- of the query that matched, whether it counted as a borderline match, a
-- video's timestamps where a known still appears in it, and the query's
-- and target's shares of matching frames of a vPDQ video match.
ALTER TABLE matches
	ADD COLUMN view text NOT NULL DEFAULT '',
	ADD COLUMN borderline boolean NOT NULL DEFAULT false,
	ADD COLUMN timestamps double precision[],
	ADD COLUMN query_percent double precision NOT NULL DEFAULT 0,
	ADD COLUMN target_percent double precision NOT NULL DEFAULT 0;

-- A video member's informative frames (series.Item.Frames: 32-byte PDQ
-- hashes, concatenated), by which the review queue groups near-duplicate
-- videos and the stills they show into one series. NULL for stills.
ALTER TABLE review_members ADD COLUMN frames bytea;
