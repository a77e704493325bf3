package triage

import (
	"context"
	"io"
	"time"
)

// The lab service's storage contracts. Each interface is small and named for
// what its consumer needs; storage/postgres and storage/minio implement them
// and triage/triagetest checks every implementation with the same suites.
// Every method may also fail with EUNAVAILABLE when its backend cannot be
// reached (the caller may retry) and EINTERNAL for anything unexpected.

// EvidencePutter stores evidence objects.
type EvidencePutter interface {
	// Put streams r into the store under its SHA-256, computing MD5, SHA-1
	// and SHA-256 in the same pass. size is r's length, or -1 if unknown.
	// want, if not zero, is the SHA-256 the caller expects: content that
	// hashes to anything else is refused (EINVALID) and not stored, and if
	// that content is already stored, r is not read (Skipped).
	// Content already stored is not stored twice (Created is false). A
	// failed Put leaves no evidence object behind.
	Put(ctx context.Context, r io.Reader, size int64, want SHA256) (EvidenceInfo, error)
}

// EvidenceFetcher reads evidence objects.
type EvidenceFetcher interface {
	// Get opens the object stored under sum. Its reader verifies the
	// content as it is read: the read that reaches the end returns an error
	// wrapping ErrCorruptEvidence instead of io.EOF if the bytes do not hash
	// to sum. ENOTFOUND if there is no such object. The caller must close
	// the reader.
	Get(ctx context.Context, sum SHA256) (io.ReadCloser, EvidenceInfo, error)
}

// ReadAtCloser is random access to a stored object.
type ReadAtCloser interface {
	io.ReaderAt
	io.Closer
}

// EvidenceOpener opens evidence for random access: an archive's directory
// is at its end, so expanding a large one needs it.
type EvidenceOpener interface {
	// OpenAt opens the object stored under sum and returns its size;
	// ENOTFOUND if there is none. Reads are not verified: the caller has
	// hashed the content through Get first.
	OpenAt(ctx context.Context, sum SHA256) (ReadAtCloser, int64, error)
}

// EvidenceStatter reports whether evidence is stored.
type EvidenceStatter interface {
	// Stat returns the stored object's size (its MD5 and SHA-1 may be
	// zero: they are recorded with the object only when the store computed
	// them itself); ENOTFOUND if there is none.
	Stat(ctx context.Context, sum SHA256) (EvidenceInfo, error)
}

// EvidenceStore is the evidence object store.
type EvidenceStore interface {
	EvidencePutter
	EvidenceFetcher
	EvidenceStatter
}

// EvidenceSweeper lists and removes evidence objects, for the collection
// of orphans: content stored by an upload whose item was never recorded
// (the request failed or the service stopped between the two).
type EvidenceSweeper interface {
	// Stored calls fn with the SHA-256 of every evidence object last
	// written before before, in key order, and stops at fn's first error.
	Stored(ctx context.Context, before time.Time, fn func(SHA256) error) error
	// Remove deletes the object stored under sum (nothing if there is
	// none). Under object lock its versions stay, hidden, until their
	// retention ends.
	Remove(ctx context.Context, sum SHA256) error
	// RemoveIncoming deletes the temporary objects of uploads that began
	// before before and never completed, and returns how many it removed.
	RemoveIncoming(ctx context.Context, before time.Time) (int, error)
}

// OrphanStore decides which stored contents are orphans.
type OrphanStore interface {
	// ClaimOrphans marks those of sums that no item refers to as being
	// removed (a tombstone: CreateItem refuses them until DropTombstones)
	// and returns them; the audit events audit makes of each commit with
	// its tombstone. Item creation and the claim exclude each other per
	// content, so an item recorded meanwhile keeps its content.
	ClaimOrphans(ctx context.Context, sums []SHA256, audit AuditOf[SHA256]) ([]SHA256, error)
	// DropTombstones ends the removal of sums (their objects are gone, or
	// could not be removed); nil ends every removal (a collection starting
	// after one that stopped midway).
	DropTombstones(ctx context.Context, sums []SHA256) error
}

// StillStored checks that content stored before a request is still
// there when its item is recorded (CreateItem's present): EUNAVAILABLE,
// send it again, when an orphan collection removed it meanwhile.
func StillStored(ctx context.Context, st EvidenceStatter, sum SHA256) error {
	_, err := st.Stat(ctx, sum)
	if ErrorCode(err) == ENOTFOUND {
		return Errorf(EUNAVAILABLE, "stored content %s was removed as an orphan while this request ran: send it again", sum)
	}
	return err
}

// BlobStore keeps derived objects (thumbnails) under names.
type BlobStore interface {
	// PutBlob stores b under key, replacing any object of that key.
	PutBlob(ctx context.Context, key string, b []byte, contentType string) error
	// GetBlob returns the object stored under key; ENOTFOUND if none.
	GetBlob(ctx context.Context, key string) ([]byte, error)
}

// CaseStore keeps cases and exhibits.
type CaseStore interface {
	// CreateCase stores c and sets its ID and CreatedAt. ECONFLICT if a case
	// of that name exists; EINVALID if c does not validate.
	CreateCase(ctx context.Context, c *Case) error
	// EnsureCase returns the case of that name, creating it if it does not
	// exist; created reports which.
	EnsureCase(ctx context.Context, c *Case) (created bool, err error)
	// Case returns the case of that name; ENOTFOUND if none.
	Case(ctx context.Context, name string) (Case, error)
	// Cases lists cases by name.
	Cases(ctx context.Context) ([]Case, error)
	// EnsureExhibit returns the exhibit of e.Name in case e.CaseID, creating
	// it if it does not exist. ENOTFOUND if the case does not exist.
	EnsureExhibit(ctx context.Context, e *Exhibit) (created bool, err error)
	// Exhibit returns the named exhibit of a case; ENOTFOUND if none.
	Exhibit(ctx context.Context, caseID int64, name string) (Exhibit, error)
	// Exhibits lists a case's exhibits by name.
	Exhibits(ctx context.Context, caseID int64) ([]Exhibit, error)
}

// ItemStore keeps items and their matches. State changes are guarded in
// the store, so that concurrent or repeated workers cannot move an item
// backwards or finish it twice.
type ItemStore interface {
	// CreateItem records a received item (state received) and sets its ID,
	// CaseID and ReceivedAt. Recording the same content again at the same
	// exhibit, path and inner path returns the existing item, with
	// created false: uploads are idempotent. EINVALID if it does not
	// validate; ENOTFOUND if its exhibit or parent does not exist.
	//
	// With audit non-nil, a created item's audit event is recorded
	// atomically with it (both or neither), its Target set to
	// "item/<id>" and its ID and At filled in; nothing is recorded for an
	// existing item.
	//
	// present, when not nil, says the content was stored before this
	// request (its upload found it there) and checks it still is: the
	// store calls it under the content's lock against orphan collection
	// (OrphanStore) and fails with its error. Content an orphan collection
	// is removing is refused (EUNAVAILABLE: send it again).
	CreateItem(ctx context.Context, it *Item, audit *AuditEvent, present func(context.Context) error) (created bool, err error)
	// Item returns an item; ENOTFOUND if none.
	Item(ctx context.Context, id int64) (Item, error)
	// Items lists an exhibit's items in id order.
	Items(ctx context.Context, f ItemFilter) ([]Item, error)
	// ExhibitStatus counts an exhibit's items by state and verdict.
	ExhibitStatus(ctx context.Context, exhibitID int64) (ExhibitStatus, error)
	// ClaimItem moves a received item, or a processing item whose lease
	// has run out or that a crashed attempt left, to processing with a new
	// lease until now+lease, and returns it. ECONFLICT if the item is
	// already final; ENOTFOUND if there is no such item.
	ClaimItem(ctx context.Context, id int64, lease time.Duration) (Item, error)
	// ExtendLease moves the lease of a processing item on to now+lease
	// while the attempt that claimed it (Item.Attempts as ClaimItem
	// returned it) still holds it; ECONFLICT once it does not (finished,
	// or claimed again after a crash).
	ExtendLease(ctx context.Context, id int64, attempt int, lease time.Duration) error
	// FinishItem records the result of a claimed item and moves it to done
	// (or failed, when r.Err is set), with its matches, in one transaction.
	// An item already final is left alone and finished is false: a repeated
	// task cannot finish an item twice. New and variant items are queued
	// for review.
	FinishItem(ctx context.Context, id int64, r ItemResult) (finished bool, err error)
	// DigestsOf returns the digests recorded for content with SHA-256 sum
	// by any item; ENOTFOUND if no item has that content.
	DigestsOf(ctx context.Context, sum SHA256) (Digests, error)
	// Matches returns an item's matches.
	Matches(ctx context.Context, itemID int64) ([]MatchRecord, error)
	// StuckItems returns up to limit items that are received and older
	// than grace, or processing with a lease that ran out before now.
	StuckItems(ctx context.Context, grace time.Duration, limit int) ([]int64, error)
	// ItemHealth counts, over the whole service, the items processing
	// with a lease that ran out (their worker died) and the unfinished
	// items on a second or later attempt.
	ItemHealth(ctx context.Context) (stuck, retried int64, err error)
}

// UserStore keeps users and tokens.
type UserStore interface {
	// CreateUser stores u and sets its ID. ECONFLICT if the name is taken.
	// The audit event, when not nil, commits with the user.
	CreateUser(ctx context.Context, u *User, audit *AuditEvent) error
	// UserByName returns the named user; ENOTFOUND if none.
	UserByName(ctx context.Context, name string) (User, error)
	// Users lists users by name.
	Users(ctx context.Context) ([]User, error)
	// CreateToken stores t (its Hash, never the secret) and sets its ID;
	// the audit events audit makes of the stored token commit with it.
	CreateToken(ctx context.Context, t *Token, audit AuditOf[Token]) error
	// Authenticate returns the enabled user whose unexpired token hashes
	// to hash. ErrBadToken (EUNAUTHORIZED) otherwise.
	Authenticate(ctx context.Context, hash SHA256) (User, Token, error)
	// RevokeToken deletes a token; ENOTFOUND if there is none. The audit
	// event, when not nil, commits with the change (as with SetDisabled).
	RevokeToken(ctx context.Context, id int64, audit *AuditEvent) error
	// Tokens lists the tokens of a user (0: of everyone), by id.
	Tokens(ctx context.Context, userID int64) ([]Token, error)
	// SetDisabled disables or enables a user; disabling also ends the
	// user's sessions. ENOTFOUND if there is no such user.
	SetDisabled(ctx context.Context, userID int64, disabled bool, audit *AuditEvent) error
}

// AuditStore keeps the audit log. Events are appended, never changed.
type AuditStore interface {
	// RecordAudit appends e and sets its ID and At.
	RecordAudit(ctx context.Context, e *AuditEvent) error
	// AuditEvents lists events, newest first.
	AuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
	// AuditChains lists the chains and their heads (the last event's seq
	// and hash as the store keeps them).
	AuditChains(ctx context.Context) ([]AuditCheckpoint, error)
	// AuditChain lists up to limit events of a chain with seq > after, in
	// seq order.
	AuditChain(ctx context.Context, chain string, after int64, limit int) ([]AuditEvent, error)
	// AddCheckpoint records a signed checkpoint; recording one twice is
	// not an error.
	AddCheckpoint(ctx context.Context, cp *AuditCheckpoint) error
	// Checkpoints lists a chain's checkpoints in seq order.
	Checkpoints(ctx context.Context, chain string) ([]AuditCheckpoint, error)
}

// SetStore keeps pushed hash sets and their entries.
type SetStore interface {
	// PutSet records a pushed set file (state importing). A set of the same
	// name is replaced: its entries are dropped and Rev moves on. Pushing
	// the file the set already holds returns it unchanged with created
	// false. The audit events audit makes of a created set commit with it.
	PutSet(ctx context.Context, s *StoredSet, audit AuditOf[StoredSet]) (created bool, err error)
	// Set returns the named set; ENOTFOUND if none.
	Set(ctx context.Context, name string) (StoredSet, error)
	// SetByID returns a set by id; ENOTFOUND if none.
	SetByID(ctx context.Context, id int64) (StoredSet, error)
	// Sets lists every set by name.
	Sets(ctx context.Context) ([]StoredSet, error)
	// UpdateSet changes a set's settings and moves Rev on; the audit
	// events audit makes of the updated set commit with the change.
	UpdateSet(ctx context.Context, name string, u SetUpdate, audit AuditOf[StoredSet]) (StoredSet, error)
	// ImportSet records the entries of a set's compiled file and marks it
	// ready, or failed with importErr. rev must be the set's current Rev:
	// ECONFLICT if the set was pushed again meanwhile.
	ImportSet(ctx context.Context, id, rev int64, meta SetMeta, entries func(yield func(Entry) bool), importErr error) error
	// AddSetEntries appends entries to a ready set, numbered after its
	// current entries, and returns the new count; the audit events audit
	// makes of the new count commit with the entries.
	AddSetEntries(ctx context.Context, name string, entries []Entry, audit AuditOf[int64]) (int64, error)
	// SetEntries returns a set's entries numbered from..to-1, in order.
	SetEntries(ctx context.Context, id, from, to int64) ([]Entry, error)
	// StuckSets returns sets still importing after grace.
	StuckSets(ctx context.Context, grace time.Duration) ([]int64, error)
	// SetLoadError records that a worker could not load revision rev of a
	// set (msg "": that it could).
	SetLoadError(ctx context.Context, id, rev int64, msg string) error
	// StartImport records that a worker started importing revision rev.
	StartImport(ctx context.Context, id, rev int64) error
}
