-- A tamper-evident audit log. Every event carries its chain, a gapless
-- sequence number in that chain, the previous event's hash and its own:
-- SHA-256 of the canonical encoding that triage/auditlog specifies (and
-- verifies, independently of this database). The BEFORE INSERT trigger
-- assigns them under a lock on the chain's head, in the transaction of
-- the insert, so an event commits with the action it records or not at
-- all, and a rolled-back insert leaves no gap. Signed checkpoints (the
-- service's Ed25519 key) pin the head from time to time, so that a
-- truncated tail or a recomputed chain is detected too.

ALTER TABLE audit_events
	ADD COLUMN chain text NOT NULL DEFAULT 'lab',
	ADD COLUMN seq bigint,
	ADD COLUMN prev_hash bytea,
	ADD COLUMN hash bytea;

CREATE TABLE audit_heads (
	chain text PRIMARY KEY,
	seq   bigint NOT NULL,
	hash  bytea NOT NULL
);

CREATE TABLE audit_checkpoints (
	chain     text NOT NULL,
	seq       bigint NOT NULL,
	hash      bytea NOT NULL CHECK (length(hash) = 32),
	at        timestamptz NOT NULL,
	key_id    text NOT NULL,
	signature bytea NOT NULL CHECK (length(signature) = 64),
	PRIMARY KEY (chain, seq)
);

-- A length-prefixed field: 4-byte big-endian length, then the bytes.
CREATE FUNCTION audit_field(b bytea) RETURNS bytea LANGUAGE sql IMMUTABLE STRICT
	AS $$ SELECT int4send(length(b)) || b $$;
CREATE FUNCTION audit_text(t text) RETURNS bytea LANGUAGE sql IMMUTABLE STRICT
	AS $$ SELECT audit_field(convert_to(t, 'UTF8')) $$;

-- The event's hash, version 1 (triage/auditlog.Canonical is the reference).
CREATE FUNCTION audit_hash(e audit_events) RETURNS bytea LANGUAGE sql STABLE AS $$
	SELECT sha256(convert_to('winnow-audit-v1', 'UTF8')
		|| audit_text(e.chain) || int8send(e.seq) || audit_field(e.prev_hash)
		|| int8send((extract(epoch FROM e.at) * 1000000)::bigint)
		|| int8send(coalesce(e.user_id, 0))
		|| audit_text(e.user_name) || audit_text(e.action) || audit_text(e.target)
		|| int4send(coalesce((SELECT count(*)::int FROM jsonb_object_keys(e.detail)), 0))
		|| coalesce((SELECT string_agg(audit_text(d.key) || audit_text(d.value), ''::bytea ORDER BY convert_to(d.key, 'UTF8'))
			FROM jsonb_each_text(e.detail) AS d), ''::bytea)
		|| audit_text(e.remote))
$$;

-- The events recorded so far form chain 'lab', in id order.
DO $$
DECLARE
	e audit_events;
	n bigint := 0;
	h bytea := decode(repeat('00', 32), 'hex');
BEGIN
	FOR e IN SELECT * FROM audit_events ORDER BY id LOOP
		n := n + 1;
		e.chain := 'lab';
		e.seq := n;
		e.prev_hash := h;
		e.hash := audit_hash(e);
		UPDATE audit_events SET seq = e.seq, prev_hash = e.prev_hash, hash = e.hash WHERE id = e.id;
		h := e.hash;
	END LOOP;
	IF n > 0 THEN
		INSERT INTO audit_heads (chain, seq, hash) VALUES ('lab', n, h);
	END IF;
END $$;

ALTER TABLE audit_events
	ALTER COLUMN seq SET NOT NULL,
	ALTER COLUMN prev_hash SET NOT NULL,
	ALTER COLUMN hash SET NOT NULL,
	ADD CONSTRAINT audit_events_chain_seq UNIQUE (chain, seq);

-- The chain's head is locked until the inserting transaction commits, so
-- one chain records one event per commit (a disk flush). Events of the
-- default chain are therefore spread over 8 chains, lab-0 to lab-7, by
-- database connection: concurrent transactions, which use different
-- connections, mostly take different heads and commit together, while the
-- events of one connection stay in order in one chain.
CREATE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
	head audit_heads;
BEGIN
	IF NEW.chain = 'lab' THEN
		NEW.chain := 'lab-' || (pg_backend_pid() % 8);
	END IF;
	SELECT * INTO head FROM audit_heads WHERE chain = NEW.chain FOR UPDATE;
	IF NOT FOUND THEN
		INSERT INTO audit_heads (chain, seq, hash) VALUES (NEW.chain, 0, decode(repeat('00', 32), 'hex'))
			ON CONFLICT (chain) DO NOTHING;
		SELECT * INTO head FROM audit_heads WHERE chain = NEW.chain FOR UPDATE;
	END IF;
	NEW.seq := head.seq + 1;
	NEW.prev_hash := head.hash;
	NEW.hash := audit_hash(NEW);
	UPDATE audit_heads SET seq = NEW.seq, hash = NEW.hash WHERE chain = NEW.chain;
	RETURN NEW;
END $$;

-- The log is append-only for everyone but a superuser (who can disable
-- triggers, and whose edits the chain and the checkpoints reveal).
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

-- The trigger functions run with this schema as their search path,
-- whoever calls them.
DO $$
BEGIN
	EXECUTE format('ALTER FUNCTION audit_chain() SET search_path = %I, pg_temp', current_schema());
	EXECUTE format('ALTER FUNCTION audit_hash(audit_events) SET search_path = %I, pg_temp', current_schema());
END $$;

CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_chain();
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
	FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
