-- Winnow lab service schema, version 1.

CREATE TABLE users (
	id         bigserial PRIMARY KEY,
	name       text NOT NULL UNIQUE,
	role       text NOT NULL CHECK (role IN ('admin', 'examiner', 'reviewer', 'submitter', 'auditor')),
	disabled   boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now()
);

-- Only the SHA-256 of a token secret is stored.
CREATE TABLE tokens (
	id         bigserial PRIMARY KEY,
	user_id    bigint NOT NULL REFERENCES users(id),
	name       text NOT NULL DEFAULT '',
	hash       bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz
);

CREATE TABLE cases (
	id         bigserial PRIMARY KEY,
	name       text NOT NULL UNIQUE,
	title      text NOT NULL DEFAULT '',
	created_by bigint REFERENCES users(id),
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE exhibits (
	id          bigserial PRIMARY KEY,
	case_id     bigint NOT NULL REFERENCES cases(id),
	name        text NOT NULL,
	description text NOT NULL DEFAULT '',
	created_by  bigint REFERENCES users(id),
	created_at  timestamptz NOT NULL DEFAULT now(),
	UNIQUE (case_id, name)
);

-- One row per file received or expanded from an archive: chain of custody,
-- fingerprint, pipeline state and verdict. The object itself is in the
-- evidence store under sha256.
CREATE TABLE items (
	id             bigserial PRIMARY KEY,
	exhibit_id     bigint NOT NULL REFERENCES exhibits(id),
	parent_id      bigint REFERENCES items(id),
	path           text NOT NULL,
	inner_path     text NOT NULL DEFAULT '',
	submitter_id   bigint REFERENCES users(id),
	received_at    timestamptz NOT NULL DEFAULT now(),
	size           bigint NOT NULL CHECK (size >= 0),
	md5            bytea NOT NULL,
	sha1           bytea NOT NULL,
	sha256         bytea NOT NULL CHECK (length(sha256) = 32),
	mime           text NOT NULL DEFAULT '',
	kind           text NOT NULL DEFAULT '',
	width          integer NOT NULL DEFAULT 0,
	height         integer NOT NULL DEFAULT 0,
	perceptual     boolean NOT NULL DEFAULT false,
	pdq            bytea,
	pdq_quality    integer,
	phash          bigint,
	dhash          bigint,
	exif           jsonb,
	thumbnail_key  text NOT NULL DEFAULT '',
	state          text NOT NULL DEFAULT 'received' CHECK (state IN ('received', 'processing', 'done', 'failed')),
	verdict        text CHECK (verdict IN ('known', 'variant', 'ignorable', 'new', 'error')),
	verdict_reason text NOT NULL DEFAULT '',
	category       text NOT NULL DEFAULT '',
	error_code     text NOT NULL DEFAULT '',
	error          text NOT NULL DEFAULT '',
	attempts       integer NOT NULL DEFAULT 0,
	lease_until    timestamptz,
	finished_at    timestamptz,
	UNIQUE (exhibit_id, path, inner_path, sha256)
);
CREATE INDEX items_exhibit ON items (exhibit_id, id);
CREATE INDEX items_parent ON items (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX items_sha256 ON items (sha256);
CREATE INDEX items_pending ON items (state, received_at) WHERE state IN ('received', 'processing');

-- Every match with full provenance: which set, version, entry, algorithm,
-- distance and category.
CREATE TABLE matches (
	item_id     bigint NOT NULL REFERENCES items(id),
	set_name    text NOT NULL,
	set_version text NOT NULL,
	set_kind    text NOT NULL,
	entry       integer NOT NULL,
	entry_id    text NOT NULL DEFAULT '',
	algo        text NOT NULL,
	distance    integer NOT NULL,
	dihedral    integer NOT NULL DEFAULT 0,
	category    text NOT NULL DEFAULT '',
	series      text NOT NULL DEFAULT '',
	PRIMARY KEY (item_id, set_name, set_version, entry, algo)
);

-- Transitions into a final state: one per item, which the tests check.
CREATE TABLE item_events (
	id      bigserial PRIMARY KEY,
	item_id bigint NOT NULL REFERENCES items(id),
	state   text NOT NULL,
	at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX item_events_item ON item_events (item_id);

-- New and variant items waiting for a reviewer. The review UI (issue 6)
-- groups them by series and records decisions.
CREATE TABLE review_queue (
	item_id   bigint PRIMARY KEY REFERENCES items(id),
	verdict   text NOT NULL,
	priority  integer NOT NULL,
	series    text NOT NULL DEFAULT '',
	queued_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_queue_order ON review_queue (priority, queued_at);

CREATE TABLE hash_sets (
	id           bigserial PRIMARY KEY,
	name         text NOT NULL UNIQUE,
	version      text NOT NULL DEFAULT '',
	kind         text NOT NULL CHECK (kind IN ('alert', 'known-good')),
	description  text NOT NULL DEFAULT '',
	sha256       bytea NOT NULL,
	size         bigint NOT NULL,
	enabled      boolean NOT NULL DEFAULT true,
	pdq_radius   integer NOT NULL DEFAULT 0,
	phash_radius integer NOT NULL DEFAULT 0,
	state        text NOT NULL CHECK (state IN ('importing', 'ready', 'failed')),
	error        text NOT NULL DEFAULT '',
	base_entries bigint NOT NULL DEFAULT 0,
	entries      bigint NOT NULL DEFAULT 0,
	rev          bigint NOT NULL DEFAULT 1,
	pushed_by    bigint REFERENCES users(id),
	created_at   timestamptz NOT NULL DEFAULT now(),
	updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE hashset_entries (
	set_id      bigint NOT NULL REFERENCES hash_sets(id) ON DELETE CASCADE,
	entry       bigint NOT NULL,
	md5         bytea,
	sha1        bytea,
	sha256      bytea,
	pdq         bytea,
	pdq_quality integer NOT NULL DEFAULT -1,
	phash       bigint,
	photodna    text NOT NULL DEFAULT '',
	size        bigint NOT NULL DEFAULT -1,
	name        text NOT NULL DEFAULT '',
	entry_id    text NOT NULL DEFAULT '',
	category    text NOT NULL DEFAULT '',
	series      text NOT NULL DEFAULT '',
	flags       integer NOT NULL DEFAULT 0,
	tags        text[],
	extra       jsonb,
	PRIMARY KEY (set_id, entry)
);
CREATE INDEX hashset_entries_md5 ON hashset_entries (md5) WHERE md5 IS NOT NULL;
CREATE INDEX hashset_entries_sha256 ON hashset_entries (sha256) WHERE sha256 IS NOT NULL;

CREATE TABLE audit_events (
	id        bigserial PRIMARY KEY,
	at        timestamptz NOT NULL DEFAULT now(),
	user_id   bigint REFERENCES users(id),
	user_name text NOT NULL DEFAULT '',
	action    text NOT NULL,
	target    text NOT NULL DEFAULT '',
	detail    jsonb,
	remote    text NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_target ON audit_events (target, id);
