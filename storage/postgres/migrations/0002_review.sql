-- Winnow lab service schema, version 2: the review queue (issue 6).

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
	CHECK (role IN ('admin', 'examiner', 'reviewer', 'adjudicator', 'submitter', 'auditor'));
-- argon2id PHC string; '' means the user cannot log in with a password.
ALTER TABLE users ADD COLUMN password_hash text NOT NULL DEFAULT '';

-- Who may see a case's media (administrators see every case).
CREATE TABLE case_members (
	case_id  bigint NOT NULL REFERENCES cases(id),
	user_id  bigint NOT NULL REFERENCES users(id),
	added_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_members_user ON case_members (user_id);

-- Browser sessions: only the SHA-256 of the cookie's secret is stored.
CREATE TABLE sessions (
	id         bigserial PRIMARY KEY,
	hash       bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
	user_id    bigint NOT NULL REFERENCES users(id),
	csrf       text NOT NULL,
	created_at timestamptz NOT NULL,
	idle_until timestamptz NOT NULL,
	expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- A group of the review queue: a series of near-duplicates. One reviewer
-- holds it at a time (claimed_by until lease_expires). Groups joined by a
-- new item are merged into the oldest one; merged_into names it.
CREATE TABLE review_groups (
	id            bigserial PRIMARY KEY,
	merged_into   bigint REFERENCES review_groups(id),
	claimed_by    bigint REFERENCES users(id),
	lease_expires timestamptz,
	created_at    timestamptz NOT NULL,
	updated_at    timestamptz NOT NULL,
	CHECK ((claimed_by IS NULL) = (lease_expires IS NULL))
);

-- One distinct content (SHA-256) of a group: exact duplicates are stacked
-- here, however many items carry them. id orders the members for the
-- workers' in-memory series index. pdq8 holds the 8 PDQ hashes (as is,
-- then rotations and flips) the series rules compare.
CREATE TABLE review_members (
	id              bigserial PRIMARY KEY,
	group_id        bigint NOT NULL REFERENCES review_groups(id),
	sha256          bytea NOT NULL UNIQUE CHECK (length(sha256) = 32),
	lane            text NOT NULL CHECK (lane IN ('new', 'variant')),
	status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'adjudication', 'confirmed')),
	suggested       text NOT NULL DEFAULT '',
	kind            text NOT NULL DEFAULT '',
	perceptual      boolean NOT NULL DEFAULT false,
	pdq8            bytea,
	pdq_quality     integer NOT NULL DEFAULT 0,
	phash           bigint,
	width           integer NOT NULL DEFAULT 0,
	height          integer NOT NULL DEFAULT 0,
	camera_original boolean NOT NULL DEFAULT false,
	gps             boolean NOT NULL DEFAULT false,
	captured_at     timestamptz,
	created_at      timestamptz NOT NULL
);
CREATE INDEX review_members_group ON review_members (group_id);

-- Which items carry a member's content (case and exhibit copied for the
-- visibility checks and the recurrence counts).
CREATE TABLE review_items (
	item_id    bigint PRIMARY KEY REFERENCES items(id),
	member_id  bigint NOT NULL REFERENCES review_members(id),
	case_id    bigint NOT NULL REFERENCES cases(id),
	exhibit_id bigint NOT NULL REFERENCES exhibits(id)
);
CREATE INDEX review_items_member ON review_items (member_id);
CREATE INDEX review_items_case ON review_items (case_id, member_id);

-- One reviewer's vote on one member: a reviewer votes once (primary key).
CREATE TABLE review_votes (
	seq         bigserial, -- the order votes were cast in
	member_id   bigint NOT NULL REFERENCES review_members(id),
	reviewer_id bigint NOT NULL REFERENCES users(id),
	category    text NOT NULL,
	series      text NOT NULL DEFAULT '',
	flags       jsonb NOT NULL DEFAULT '{}',
	tags        text[] NOT NULL DEFAULT '{}',
	notes       text NOT NULL DEFAULT '',
	at          timestamptz NOT NULL,
	PRIMARY KEY (member_id, reviewer_id)
);

-- The confirmed decision on a member, and where it was promoted.
CREATE TABLE review_decisions (
	member_id   bigint PRIMARY KEY REFERENCES review_members(id),
	category    text NOT NULL,
	series      text NOT NULL DEFAULT '',
	flags       jsonb NOT NULL DEFAULT '{}',
	tags        text[] NOT NULL DEFAULT '{}',
	notes       text NOT NULL DEFAULT '',
	reviewers   text[] NOT NULL,
	adjudicator text NOT NULL DEFAULT '',
	decided_at  timestamptz NOT NULL,
	set_id      bigint REFERENCES hash_sets(id),
	set_entry   bigint,
	set_version integer
);

-- Versions of a local hash set: each decision that promotes content adds
-- entries from..to-1 as one version.
CREATE TABLE local_set_versions (
	set_id       bigint NOT NULL REFERENCES hash_sets(id),
	version      integer NOT NULL,
	entries_from bigint NOT NULL,
	entries_to   bigint NOT NULL,
	created_by   text NOT NULL,
	created_at   timestamptz NOT NULL,
	PRIMARY KEY (set_id, version)
);

-- Reviewer wellness: settings and exposure counts.
CREATE TABLE user_settings (
	user_id     bigint PRIMARY KEY REFERENCES users(id),
	settings    jsonb,
	since_break bigint NOT NULL DEFAULT 0,
	last_break  timestamptz
);
CREATE TABLE user_exposure (
	user_id bigint NOT NULL REFERENCES users(id),
	day     date NOT NULL,
	reveals bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, day)
);
