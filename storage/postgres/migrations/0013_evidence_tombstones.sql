-- Evidence objects that the orphan sweeper is removing: content stored in
-- the object store with no item that refers to it (an upload whose row was
-- never written, after a grace period). An item for such content is
-- refused while its tombstone stands (send the content again); the sweeper
-- drops the tombstone once the object is gone. See storage/postgres/sweep.go.
CREATE TABLE evidence_tombstones (
	sha256 bytea PRIMARY KEY,
	at     timestamptz NOT NULL
);
