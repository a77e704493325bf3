package triage

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// The lab service's nouns. A Case holds Exhibits (one seized device, one
// folder, one upload batch); an Exhibit holds Items, one per file received
// or expanded from an archive. Items carry their chain of custody, their
// fingerprint, their state in the pipeline and, once analysed, a verdict.

// Case is one investigation. Name is the short identifier clients use in
// URLs and on the command line ("2026-0412"); it is unique.
type Case struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Title     string    `json:"title,omitempty"`
	CreatedBy int64     `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Exhibit is one piece of evidence in a case (a phone, a disk image, a
// folder). Name is unique within the case.
type Exhibit struct {
	ID          int64     `json:"id"`
	CaseID      int64     `json:"case_id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	CreatedBy   int64     `json:"created_by,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidateName reports whether s can name a case, an exhibit, a user or a
// hash set: 1-128 letters, digits, '.', '_' or '-', not starting with a
// punctuation mark. what names the thing for the message.
func ValidateName(what, s string) error {
	if !nameRE.MatchString(s) {
		return Errorf(EINVALID, "%s name %q is not valid: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit", what, s)
	}
	return nil
}

// Validate reports a case that cannot be stored.
func (c *Case) Validate() error {
	if err := ValidateName("case", c.Name); err != nil {
		return err
	}
	if len(c.Title) > 1000 {
		return Errorf(EINVALID, "case title is longer than 1000 characters")
	}
	return nil
}

// Validate reports an exhibit that cannot be stored.
func (e *Exhibit) Validate() error {
	if err := ValidateName("exhibit", e.Name); err != nil {
		return err
	}
	if len(e.Description) > 4000 {
		return Errorf(EINVALID, "exhibit description is longer than 4000 characters")
	}
	return nil
}

// ItemState is where an item is in the pipeline. received and processing
// are transient; done and failed are final, and an item reaches one of them
// exactly once.
type ItemState string

// Item states.
const (
	StateReceived   ItemState = "received"   // stored and recorded, waiting for a worker
	StateProcessing ItemState = "processing" // a worker holds a lease on it
	StateDone       ItemState = "done"       // analysed; Verdict is set
	StateFailed     ItemState = "failed"     // could not be analysed; Verdict is error, Error says why
)

// ItemStates lists every state in pipeline order.
var ItemStates = []ItemState{StateReceived, StateProcessing, StateDone, StateFailed}

// Final reports whether s is a final state.
func (s ItemState) Final() bool { return s == StateDone || s == StateFailed }

// ParseItemState parses a state name.
func ParseItemState(s string) (ItemState, error) {
	for _, st := range ItemStates {
		if string(st) == s {
			return st, nil
		}
	}
	return "", Errorf(EINVALID, "unknown item state %q (want received, processing, done or failed)", s)
}

// MaxPathLen bounds an item's path and inner path.
const MaxPathLen = 4096

// EscapeName returns a file name or path as it may be shown and stored:
// control characters, invalid UTF-8 and the Unicode bidirectional
// formatting characters (which make "photo\u202egpj.exe" display as
// "photoexe.jpg") written as %XX, one per byte of their UTF-8 (or raw)
// encoding. Everything else is kept, separators and ".." included.
// changed reports an escape; callers keep the raw name then (Item.RawName).
func EscapeName(raw string) (name string, changed bool) {
	i := 0
	for i < len(raw) {
		r, size := utf8.DecodeRuneInString(raw[i:])
		if mustEscape(r, size) {
			break
		}
		i += size
	}
	if i == len(raw) {
		return raw, false
	}
	var b strings.Builder
	b.Grow(len(raw) + 16)
	b.WriteString(raw[:i])
	for i < len(raw) {
		r, size := utf8.DecodeRuneInString(raw[i:])
		if mustEscape(r, size) {
			for _, c := range []byte(raw[i : i+size]) {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		} else {
			b.WriteString(raw[i : i+size])
		}
		i += size
	}
	return b.String(), true
}

func mustEscape(r rune, size int) bool {
	return r == utf8.RuneError && size <= 1 || r < 0x20 || r == 0x7f || 0x80 <= r && r < 0xa0 || isBidiControl(r)
}

// isBidiControl reports the Unicode bidirectional formatting characters.
func isBidiControl(r rune) bool {
	return 0x202a <= r && r <= 0x202e || 0x2066 <= r && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}

// Item is one file received by the lab: its chain of custody (where it came
// from, who submitted it, when), everything the hashing engine learnt about
// it, and its place in the pipeline.
type Item struct {
	ID        int64 `json:"id"`
	CaseID    int64 `json:"case_id"`
	ExhibitID int64 `json:"exhibit_id"`
	// ParentID is the archive item this one was expanded from (0: none);
	// InnerPath is its path inside that archive.
	ParentID  int64  `json:"parent_id,omitempty"`
	Path      string `json:"path"`
	InnerPath string `json:"inner_path,omitempty"`
	// RawName is the name exactly as it was received, Go-quoted, when
	// sanitising changed it: an archive member's name (InnerPath: absolute
	// paths, "..", backslashes, control characters, invalid UTF-8, bidi
	// controls), or an uploaded path (Path: EscapeName).
	RawName string `json:"raw_name,omitempty"`
	// Origin is where in a disk image the item was found (file system,
	// deleted or carved, image offset, the file system's timestamps).
	Origin *Origin `json:"origin,omitempty"`
	// SubmitterID is the user who uploaded the item (or its archive).
	SubmitterID int64     `json:"submitter_id,omitempty"`
	ReceivedAt  time.Time `json:"received_at"`
	Size        int64     `json:"size"`
	Digests
	MIME       string `json:"mime,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Width      int    `json:"width,omitempty"`
	Height     int    `json:"height,omitempty"`
	PDQ        PDQ    `json:"-"`
	PDQQuality int    `json:"pdq_quality,omitempty"`
	PHash      PHash  `json:"-"`
	DHash      DHash  `json:"-"`
	Perceptual bool   `json:"perceptual,omitempty"`
	// Partial: the perceptual hashes are of part of the picture (see
	// Fingerprint.Partial).
	Partial bool `json:"partial,omitempty"`
	// Regions are the hashes of parts of the picture (Fingerprint.Regions)
	// that the local hash set indexes when the item's content is promoted
	// from review, so that crops of it match.
	Regions []Region `json:"-"`
	// Keypoints are the picture's local features (Fingerprint.Keypoints),
	// which the local hash set indexes, like Regions, when the item's
	// content is promoted from review, so that heavily cropped copies of
	// it match.
	Keypoints    []Keypoint        `json:"-"`
	EXIF         map[string]string `json:"exif,omitempty"`
	ThumbnailKey string            `json:"thumbnail_key,omitempty"`
	State        ItemState         `json:"state"`
	Verdict      Verdict           `json:"verdict,omitempty"`
	Reason       string            `json:"verdict_reason,omitempty"`
	Category     Category          `json:"-"`
	ErrorCode    string            `json:"error_code,omitempty"`
	Error        string            `json:"error,omitempty"`
	Attempts     int               `json:"attempts"`
	FinishedAt   time.Time         `json:"finished_at,omitzero"`
}

// Validate reports an item that cannot be recorded.
func (it *Item) Validate() error {
	switch {
	case it.ExhibitID == 0:
		return Errorf(EINVALID, "item has no exhibit")
	case it.Path == "":
		return Errorf(EINVALID, "item has no path")
	case len(it.Path) > MaxPathLen || len(it.InnerPath) > MaxPathLen || len(it.RawName) > 4*MaxPathLen:
		return Errorf(EINVALID, "item path is longer than %d bytes", MaxPathLen)
	case strings.ContainsRune(it.Path, 0) || strings.ContainsRune(it.InnerPath, 0):
		return Errorf(EINVALID, "item path contains a NUL byte")
	case it.SHA256.IsZero():
		return Errorf(EINVALID, "item has no SHA-256")
	case it.Size < 0:
		return Errorf(EINVALID, "item size is negative")
	}
	return nil
}

// ApplyFingerprint copies what the hashing engine found into the item.
func (it *Item) ApplyFingerprint(fp *Fingerprint) {
	it.MIME, it.Kind = fp.Type.MIME, fp.Type.Kind.String()
	it.Width, it.Height = fp.Width, fp.Height
	it.Perceptual, it.Partial = fp.Perceptual, fp.Partial
	if fp.Perceptual {
		it.PDQ, it.PDQQuality, it.PHash, it.DHash = fp.PDQ, fp.PDQQuality, fp.PHash, fp.DHash
		it.Regions, it.Keypoints = fp.Regions, fp.Keypoints
	}
}

// MatchRecord is a stored match: the item and the hash-set entry it matched,
// with the entry's provenance.
type MatchRecord struct {
	ItemID int64 `json:"item_id"`
	Match
}

// ItemResult is what a worker records when it finishes an item.
type ItemResult struct {
	Fingerprint  *Fingerprint
	Decision     Decision
	Matches      []Match
	EXIF         map[string]string
	ThumbnailKey string
	// Err, when set, fails the item (state failed, verdict error) with
	// this error's code and user-safe message.
	Err error
}

// ItemFilter selects items of one exhibit. Items come in id order; After
// is the last id of the previous page (keyset pagination).
type ItemFilter struct {
	ExhibitID int64
	State     ItemState // "" for any
	Verdict   Verdict   // "" for any
	ParentID  int64     // 0 for any
	Path      string    // "" for any: items with exactly this path
	After     int64
	Limit     int // 0 means 100; at most 1000
}

// ExhibitStatus counts an exhibit's items by state and verdict.
type ExhibitStatus struct {
	Items    int64               `json:"items"`
	States   map[ItemState]int64 `json:"states"`
	Verdicts map[Verdict]int64   `json:"verdicts"`
	Bytes    int64               `json:"bytes"`
	// Done counts items in a final state; Progress is Done/Items (1 when
	// there are no items).
	Done     int64   `json:"done"`
	Progress float64 `json:"progress"`
	// Stuck counts items processing whose lease ran out (a worker died:
	// the reconciler queues them again); Retried unfinished items on a
	// second or later attempt.
	Stuck   int64 `json:"stuck"`
	Retried int64 `json:"retried"`
}

// Role is what a user may do.
type Role string

// Roles.
const (
	RoleAdmin    Role = "admin"    // everything, including users, tokens and hash sets
	RoleExaminer Role = "examiner" // cases, uploads, results, media, exports
	RoleReviewer Role = "reviewer" // results, media, review decisions
	// RoleAdjudicator is a reviewer who also resolves disagreements.
	RoleAdjudicator Role = "adjudicator"
	RoleSubmitter   Role = "submitter" // uploads and their status (automation)
	RoleAuditor     Role = "auditor"   // results and the audit log, no media
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleExaminer, RoleReviewer, RoleAdjudicator, RoleSubmitter, RoleAuditor}

// ParseRole parses a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", Errorf(EINVALID, "unknown role %q (want admin, examiner, reviewer, adjudicator, submitter or auditor)", s)
}

// Permission is one kind of action a route needs.
type Permission string

// Permissions.
const (
	PermRead   Permission = "read"   // cases, exhibits, item metadata, status
	PermUpload Permission = "upload" // create cases and exhibits, upload items
	PermMedia  Permission = "media"  // item content and thumbnails
	// PermMetadata reads an item's EXIF, GPS position and camera serial
	// numbers (item detail, the review item view).
	PermMetadata Permission = "metadata"
	PermReview   Permission = "review" // review decisions
	// PermAdjudicate resolves reviewers' disagreements.
	PermAdjudicate Permission = "adjudicate"
	PermExport     Permission = "export"   // reports and exports
	PermSets       Permission = "hashsets" // push and configure hash sets
	PermAdmin      Permission = "admin"    // users and tokens
	PermAudit      Permission = "audit"    // the audit log and metrics
	PermAnyRole    Permission = "any"      // any authenticated user
)

var rolePerms = map[Role][]Permission{
	RoleAdmin:       {PermRead, PermUpload, PermMedia, PermMetadata, PermReview, PermAdjudicate, PermExport, PermSets, PermAdmin, PermAudit},
	RoleAdjudicator: {PermRead, PermMedia, PermMetadata, PermReview, PermAdjudicate, PermExport},
	RoleExaminer:    {PermRead, PermUpload, PermMedia, PermMetadata, PermExport},
	RoleReviewer:    {PermRead, PermMedia, PermMetadata, PermReview},
	RoleSubmitter:   {PermRead, PermUpload},
	RoleAuditor:     {PermRead, PermAudit},
}

// Can reports whether the role grants p.
func (r Role) Can(p Permission) bool {
	if p == PermAnyRole {
		_, ok := rolePerms[r]
		return ok
	}
	for _, q := range rolePerms[r] {
		if q == p {
			return true
		}
	}
	return false
}

// User is a person or a script that uses the lab service.
type User struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Disabled  bool      `json:"disabled,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Validate reports a user that cannot be stored.
func (u *User) Validate() error {
	if err := ValidateName("user", u.Name); err != nil {
		return err
	}
	_, err := ParseRole(string(u.Role))
	return err
}

// TokenPrefix starts every token secret, so leaked tokens are recognisable.
const TokenPrefix = "wnw_"

// Token is a bearer token. Only the SHA-256 of its secret is stored; the
// secret itself is shown once, when the token is made.
type Token struct {
	ID        int64     `json:"id"`
	UserID    int64     `json:"user_id"`
	Name      string    `json:"name,omitempty"`
	Hash      SHA256    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// LastUsed is when the token last authenticated a request, to the
	// minute.
	LastUsed time.Time `json:"last_used,omitzero"`
}

// NewTokenSecret returns a fresh random token secret and its hash.
func NewTokenSecret() (secret string, hash SHA256) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashTokenSecret(secret)
}

// HashTokenSecret returns the stored form of a token secret.
func HashTokenSecret(secret string) SHA256 { return sha256.Sum256([]byte(secret)) }

// ErrBadToken is the error for a missing, unknown, expired or revoked
// token; it says no more, on purpose.
var ErrBadToken = Errorf(EUNAUTHORIZED, "missing or invalid bearer token: pass \"Authorization: Bearer TOKEN\" with a token from \"winnow admin token create\"")

// AuditEvent records who did what to which object, for the chain of
// custody: uploads, media access, decisions, exports and admin actions.
type AuditEvent struct {
	ID       int64             `json:"id"`
	At       time.Time         `json:"at"`
	UserID   int64             `json:"user_id,omitempty"`
	UserName string            `json:"user,omitempty"`
	Action   string            `json:"action"`
	Target   string            `json:"target"`
	Detail   map[string]string `json:"detail,omitempty"`
	Remote   string            `json:"remote,omitempty"`
	// Chain, Seq, PrevHash and Hash place the event in its hash chain
	// (triage/auditlog): the store assigns them when it records the event.
	Chain    string `json:"chain,omitempty"`
	Seq      int64  `json:"seq,omitempty"`
	PrevHash SHA256 `json:"-"`
	Hash     SHA256 `json:"-"`
}

// AuditOf makes the audit events of an action from what the action did.
// A store calls it inside the action's transaction and records the events
// there, so the action and its record commit together or not at all (an
// action whose record cannot be written does not happen). nil records
// nothing.
type AuditOf[R any] func(R) []AuditEvent

// AuditChainLab is the default chain. The database spreads its events
// over the chains lab-0 to lab-7, by connection, so that concurrent
// actions do not wait for each other's commits.
const AuditChainLab = "lab"

// AuditCheckpoint is a signed statement that a chain's event Seq had Hash
// at time At: Signature is the service's Ed25519 signature (KeyID names
// the key) over triage/auditlog's checkpoint encoding.
type AuditCheckpoint struct {
	Chain     string
	Seq       int64
	Hash      SHA256
	At        time.Time
	KeyID     string
	Signature []byte
}

// Audit actions.
const (
	AuditUpload        = "item.upload"
	AuditMediaAccess   = "item.media"
	AuditDecision      = "item.decision"
	AuditExport        = "exhibit.export"
	AuditUserCreate    = "user.create"
	AuditTokenCreate   = "token.create"
	AuditTokenRevoke   = "token.revoke"
	AuditHashSetPush   = "hashset.push"
	AuditHashSetEdit   = "hashset.update"
	AuditHashSetEntry  = "hashset.entries"
	AuditHashSetExport = "hashset.export"
	AuditCaseCreate    = "case.create"
	AuditCaseMember    = "case.member"
	AuditReviewClaim   = "review.claim"
	AuditReviewVote    = "review.vote"
	AuditAdjudicate    = "review.adjudicate"
	AuditPromote       = "review.promote"
	AuditReviewUndo    = "review.undo"
	AuditOverturn      = "review.overturn"
	AuditWithdraw      = "review.withdraw"
	AuditReviewExport  = "case.review_export"
	AuditLogin         = "session.login"
	AuditLoginFailed   = "session.login_failed"
	AuditLogout        = "session.logout"
	AuditPassword      = "user.password"
	// AuditAccessDenied: a refused request on a case-scoped route.
	AuditAccessDenied = "access.denied"
	// AuditMetadata: a read of an item's EXIF/GPS metadata.
	AuditMetadata = "item.metadata"
	// AuditWellness: a change of a reviewer's wellness settings.
	AuditWellness    = "user.wellness"
	AuditLockout     = "session.lockout"
	AuditUserDisable = "user.disable"
	AuditUserEnable  = "user.enable"
	// AuditLogoutAll: every session and (optionally) token of a user ended.
	AuditLogoutAll = "session.logout_all"
	// AuditOrphanRemoved: a stored content that no item referred to after
	// the grace period was removed by the orphan collection.
	AuditOrphanRemoved = "evidence.orphan_removed"
)

// AuditFilter selects audit events, newest first.
type AuditFilter struct {
	Action string // "" for any
	Target string // "" for any
	Before int64  // id of the last event of the previous page; 0 for the start
	Limit  int    // 0 means 100; at most 1000
}

// StoredSetState is where a pushed hash set is in its import.
type StoredSetState string

// Stored set states.
const (
	SetImporting StoredSetState = "importing"
	SetReady     StoredSetState = "ready"
	SetFailed    StoredSetState = "failed"
)

// StoredSet is a compiled hash set pushed to the lab service. Its file is
// kept in the object store under its SHA-256; its entries are recorded in
// the database by the hashset:import task, and entries added later are
// numbered after the compiled ones (Entries counts both).
type StoredSet struct {
	ID          int64          `json:"id"`
	Name        string         `json:"name"`
	Version     string         `json:"version"`
	Kind        SetKind        `json:"kind"`
	Description string         `json:"description,omitempty"`
	SHA256      SHA256         `json:"-"`
	Size        int64          `json:"size"`
	Enabled     bool           `json:"enabled"`
	PDQRadius   int            `json:"pdq_radius"`
	PHashRadius int            `json:"phash_radius"`
	State       StoredSetState `json:"state"`
	Error       string         `json:"error,omitempty"`
	// BaseEntries is the compiled file's entry count; Entries adds the
	// entries added since.
	BaseEntries int64 `json:"base_entries"`
	Entries     int64 `json:"entries"`
	// Rev changes whenever the set must be reloaded (new file, enabled,
	// radius); adding entries does not change it.
	Rev       int64     `json:"rev"`
	PushedBy  int64     `json:"pushed_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Schemes are the category schemes the compiled file carries
	// (SetMeta.Schemes), recorded by its import.
	Schemes []Scheme `json:"schemes,omitempty"`
	// LoadError is why a worker could not load this revision of a ready
	// set (it retries, and matches against the other sets meanwhile).
	LoadError string `json:"load_error,omitempty"`
	// ImportStarted is when a worker started importing this revision.
	ImportStarted time.Time `json:"import_started,omitzero"`
}

// SetUpdate changes a stored set's settings; nil fields stay as they are.
type SetUpdate struct {
	Enabled     *bool `json:"enabled,omitempty"`
	PDQRadius   *int  `json:"pdq_radius,omitempty"`
	PHashRadius *int  `json:"phash_radius,omitempty"`
}

// Validate reports settings that cannot work.
func (u *SetUpdate) Validate() error {
	if u.PDQRadius != nil && (*u.PDQRadius < 0 || *u.PDQRadius > 128) {
		return Errorf(EINVALID, "pdq_radius %d is out of range 0-128 (0 means the default, 31)", *u.PDQRadius)
	}
	if u.PHashRadius != nil && (*u.PHashRadius < 0 || *u.PHashRadius > 32) {
		return Errorf(EINVALID, "phash_radius %d is out of range 0-32 (0 means the default, 10)", *u.PHashRadius)
	}
	return nil
}

// ErrCorruptEvidence is returned (wrapped) when an evidence object's bytes
// do not hash to the SHA-256 it is stored under.
var ErrCorruptEvidence = errors.New("evidence object is damaged: its content does not match its SHA-256")

// EvidenceInfo describes a stored evidence object.
type EvidenceInfo struct {
	Digests
	Size int64
	// Created reports, for Put, whether this call stored the object (false:
	// it was already there, and the upload was discarded).
	Created bool
	// Skipped reports, for Put with a known SHA-256, that the content was
	// already stored and the reader was not read at all: MD5 and SHA-1 are
	// then those recorded with the object, possibly zero.
	Skipped bool
}
