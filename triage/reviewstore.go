package triage

import (
	"context"
	"time"
)

// The review queue's storage contracts, and the views the API shows.
// storage/postgres implements them; the lab's tests run them on a real
// PostgreSQL.

// Viewer is who is looking: what they may see and do decides what the
// review store returns.
type Viewer struct {
	UserID int64
	Name   string
	// All: the viewer sees every case: administrators, and auditors
	// (whose role grants records only: no media, EXIF or review).
	All bool
	// Adjudicator: the viewer works the adjudication lane.
	Adjudicator bool
}

// ViewerOf returns the viewer of an authenticated user.
func ViewerOf(u User) Viewer {
	return Viewer{UserID: u.ID, Name: u.Name, All: SeesEveryCase(u.Role), Adjudicator: u.Role.Can(PermAdjudicate)}
}

// SeesEveryCase reports the explicit rule of the case boundary: every
// other role sees only the cases its user is a member of.
func SeesEveryCase(r Role) bool { return r == RoleAdmin || r == RoleAuditor }

// ReviewItemRef is one item carrying a member's content, as a viewer
// allowed on its case sees it.
type ReviewItemRef struct {
	ItemID    int64  `json:"item_id"`
	Case      string `json:"case"`
	Exhibit   string `json:"exhibit"`
	Path      string `json:"path"`
	InnerPath string `json:"inner_path,omitempty"`
}

// ReviewMember is one distinct content of a group.
type ReviewMember struct {
	ID     int64        `json:"id"`
	SHA256 SHA256       `json:"-"`
	Lane   Lane         `json:"lane"`
	Status MemberStatus `json:"status"`
	// Suggested is the category of the known material a variant is near.
	Suggested Category `json:"-"`
	Width     int      `json:"width"`
	Height    int      `json:"height"`
	Kind      string   `json:"kind"`
	// Items are the items with this content the viewer may see; the
	// first is the member's representative.
	Items []ReviewItemRef `json:"items"`
	// Votes counts the votes cast; MyVote is the viewer's, if any.
	Votes    int             `json:"votes"`
	MyVote   *Vote           `json:"my_vote,omitempty"`
	Decision *ReviewDecision `json:"decision,omitempty"`
}

// ReviewGroupDetail is a group with its members.
type ReviewGroupDetail struct {
	ReviewGroup
	MemberList []ReviewMember `json:"member_list"`
}

// DecideRequest is one reviewer's decision on members of one group.
type DecideRequest struct {
	GroupID  int64
	Reviewer User
	// Members are the contents decided (nil: every member of the group
	// the reviewer may see that still needs their vote, or, adjudicating,
	// every member in adjudication).
	Members []SHA256
	Vote    Vote
	// Required is how many agreeing votes confirm a member.
	Required int
	// Adjudicate decides members in adjudication (the reviewer must be an
	// adjudicator); otherwise the reviewer votes on pending members.
	Adjudicate bool
	// Case names the case the vote's free text belongs to. It may be left
	// out when the vote has no text, or when every member decided has
	// items (that the reviewer may see) in one case only.
	Case string
	// Claim claims the group for the reviewer first when no one holds it
	// (with Lease), so a decision from the grid needs one request.
	Claim bool
	Lease time.Duration
	// LocalSet is the local hash set confirmed members are promoted into.
	LocalSet string
	// Audit makes the decision's audit events (the vote and any
	// promotion), recorded in the decision's transaction.
	Audit AuditOf[DecideResult]
}

// MemberOutcome is what a decision did to one member.
type MemberOutcome struct {
	MemberID int64        `json:"member_id"`
	SHA256   SHA256       `json:"-"`
	Status   MemberStatus `json:"status"`
	Needed   int          `json:"votes_needed,omitempty"`
	// Entry is the local set's entry number a confirmed member was
	// promoted as (-1: not promoted).
	Entry int64 `json:"entry"`
}

// DecideResult is the outcome of a DecideRequest.
type DecideResult struct {
	Outcomes []MemberOutcome `json:"outcomes"`
	// Version is the local set version the promotions were recorded in
	// (0: nothing promoted).
	Version int `json:"version,omitempty"`
}

// LocalSetVersion is one version of the local hash set: the entries one
// decision promoted, with their provenance.
type LocalSetVersion struct {
	Version int   `json:"version"`
	From    int64 `json:"entries_from"`
	To      int64 `json:"entries_to"`
	// Withdrawn counts the entries this version withdrew.
	Withdrawn int       `json:"withdrawn"`
	By        string    `json:"by"`
	CreatedAt time.Time `json:"created_at"`
}

// Appearance is another place a content or a near-duplicate of it was
// seen.
type Appearance struct {
	ReviewItemRef
	// Relation is "same" (identical content) or "near" (same series).
	Relation string `json:"relation"`
	SHA256   string `json:"sha256"`
}

// ReviewItemView is everything the victim-identification item view shows
// of one item.
type ReviewItemView struct {
	Item    Item          `json:"-"`
	Case    string        `json:"case"`
	Exhibit string        `json:"exhibit"`
	Matches []MatchRecord `json:"-"`
	// Siblings are other items in the same folder (or archive) of the
	// same exhibit, by path.
	Siblings []ReviewItemRef `json:"siblings"`
	// GroupID and Member are the item's place in the queue (0 and nil
	// when the item is not in review).
	GroupID int64         `json:"group_id,omitempty"`
	Member  *ReviewMember `json:"member,omitempty"`
	// Series lists the other members of the group the viewer may see.
	Series []ReviewMember `json:"series"`
	// Elsewhere lists every other place, in cases the viewer may see,
	// where this content or a near-duplicate appeared.
	Elsewhere []Appearance `json:"elsewhere"`
	// Devices links the item's device (DeviceKey) to the other items, in
	// cases the viewer may see, taken with it.
	Devices []DeviceLink `json:"devices"`
}

// CaseDecision is a confirmed member with the case's items holding it,
// for exports: Decision.Notes holds the notes of that case only.
type CaseDecision struct {
	Decision ReviewDecision
	Digests  Digests
	Size     int64
	PDQ      PDQ
	PDQQual  int
	PHash    PHash
	Items    []ReviewItemRef
}

// Notes returns the case's notes on the content (zero if there are none).
func (d *CaseDecision) Notes() CaseNotes {
	if len(d.Decision.Notes) == 0 {
		return CaseNotes{}
	}
	return d.Decision.Notes[0]
}

// ReviewStore keeps the review queue.
type ReviewStore interface {
	// ReviewQueue returns live groups with a member the viewer may see,
	// with their counts and priority features (Priority is left for the
	// caller to score): with q.Limit 0 every such group; else a page of
	// the groups waiting in q.Lane for the viewer, by the stored priority
	// (RescoreGroups), and with q.Count their number (-1 otherwise).
	ReviewQueue(ctx context.Context, v Viewer, q QueueQuery) ([]ReviewGroup, int, error)
	// ReviewTiles returns a page of the queue as tiles, filtered, sorted
	// and paged by q (which must be valid).
	ReviewTiles(ctx context.Context, v Viewer, q TileQuery) (TilePage, error)
	// RescoreGroups stores the priority score of every live group whose
	// members changed since it was last scored, or that was scored before
	// stale, computing it with score; at most limit groups a call. It
	// returns how many it scored.
	RescoreGroups(ctx context.Context, score func(PriorityFeatures) float64, stale time.Time, limit int) (int, error)
	// ReviewGroup returns one group as the viewer sees it; ENOTFOUND if
	// it does not exist or the viewer may see none of it; a group merged
	// into another is ENOTFOUND with a message naming the other.
	ReviewGroup(ctx context.Context, v Viewer, id int64) (ReviewGroupDetail, error)
	// ClaimGroup gives the group to the reviewer until now+lease, if no
	// one else holds a live claim (ErrGroupClaimed otherwise). Claiming a
	// group one already holds extends the lease. Exactly one of two
	// reviewers racing for a group wins.
	//
	// The audit events audit makes of the claim commit with it.
	ClaimGroup(ctx context.Context, v Viewer, groupID int64, lease time.Duration, audit AuditOf[Claim]) (Claim, error)
	// ExtendClaim moves the lease of the reviewer's live claim to
	// now+lease; ECONFLICT if the reviewer does not hold the group.
	ExtendClaim(ctx context.Context, v Viewer, groupID int64, lease time.Duration) (Claim, error)
	// ReleaseGroup ends the reviewer's claim (an administrator may end
	// anyone's); ECONFLICT if they do not hold it.
	ReleaseGroup(ctx context.Context, v Viewer, groupID int64) error
	// Decide records a decision on members of a group the reviewer holds
	// (ECONFLICT otherwise), tallies the votes, and promotes the members
	// it confirms into the local set, all in one transaction. A reviewer
	// voting twice on a member is ECONFLICT.
	Decide(ctx context.Context, r DecideRequest) (DecideResult, error)
	// Undo takes back the reviewer's votes (and adjudications) on members
	// of a group they hold that were cast since they claimed it, tallies
	// the remaining votes again, and withdraws from the local set, in one
	// new version, the entries the undone decisions had promoted; all in
	// one transaction. ECONFLICT if they do not hold the group or nothing
	// is left to undo.
	Undo(ctx context.Context, r UndoRequest) (UndoResult, error)
	// Overturn replaces the category of a confirmed member (the
	// adjudicator must see one of its items; EFORBIDDEN if they are not an
	// adjudicator): the old local-set entry is withdrawn and the content
	// promoted again with the new category, in one new version.
	// ECONFLICT if the member is not confirmed or already has the
	// category.
	Overturn(ctx context.Context, r OverturnRequest) (OverturnResult, error)
	// MemberVotes returns every vote on a member the viewer may see
	// (ENOTFOUND otherwise).
	MemberVotes(ctx context.Context, v Viewer, memberID int64) ([]Vote, error)
	// ReviewItem returns the item view; ENOTFOUND if the viewer may not
	// see the item's case.
	ReviewItem(ctx context.Context, v Viewer, itemID int64) (ReviewItemView, error)
	// EnsureLocalSet records the local hash set (an alert set whose file
	// st.SHA256 is already stored) if it does not exist, ready for
	// promotions.
	EnsureLocalSet(ctx context.Context, st *StoredSet) error
	// LocalSetVersions lists the versions of a local set, newest first.
	LocalSetVersions(ctx context.Context, setName string) ([]LocalSetVersion, error)
	// CaseDecisions returns every confirmed member with items in a case.
	CaseDecisions(ctx context.Context, caseID int64) ([]CaseDecision, error)
}

// AccessStore keeps who may see which case.
type AccessStore interface {
	// CanSeeCase reports whether the viewer may see the case: its
	// records, items and (as the role allows) media.
	CanSeeCase(ctx context.Context, v Viewer, caseID int64) (bool, error)
	// CanSeeEvidence reports whether content is recorded in an item of a
	// case the viewer may see.
	CanSeeEvidence(ctx context.Context, v Viewer, sum SHA256) (bool, error)
	// CanSeeReviewGroup and CanSeeReviewMember report whether the viewer
	// may see at least one item of a review group or member.
	CanSeeReviewGroup(ctx context.Context, v Viewer, groupID int64) (bool, error)
	CanSeeReviewMember(ctx context.Context, v Viewer, memberID int64) (bool, error)
	// MemberCases lists the ids of the cases a user is a member of.
	MemberCases(ctx context.Context, userID int64) ([]int64, error)
	// AddCaseMember lets a user see a case; adding twice is not an error.
	// These methods, and the other ones with an audit argument, record
	// the audit event (when not nil) in the transaction of the change.
	AddCaseMember(ctx context.Context, caseID, userID int64, audit *AuditEvent) error
	// RemoveCaseMember takes it back; ENOTFOUND if the user was not a member.
	RemoveCaseMember(ctx context.Context, caseID, userID int64, audit *AuditEvent) error
	// CaseMembers lists the users allowed on a case, by name.
	CaseMembers(ctx context.Context, caseID int64) ([]User, error)
}

// Session is a logged-in browser. Only the SHA-256 of its secret is
// stored, like a token's.
type Session struct {
	ID        int64
	UserID    int64
	Hash      SHA256
	CSRF      string
	CreatedAt time.Time
	// IdleUntil moves on with use; ExpiresAt is fixed at login.
	IdleUntil time.Time
	ExpiresAt time.Time
}

// SessionStore keeps passwords and sessions.
type SessionStore interface {
	// SetPassword stores a user's password hash (PHC string) and ends
	// every session of the user; ENOTFOUND if there is no such user.
	SetPassword(ctx context.Context, userID int64, hash string, audit *AuditEvent) error
	// PasswordHash returns the user and their password hash ("" when they
	// have none); ENOTFOUND if there is no such user.
	PasswordHash(ctx context.Context, name string) (User, string, error)
	// CreateSession stores s and sets its ID; the audit event (the
	// login), when not nil, commits with it.
	CreateSession(ctx context.Context, s *Session, audit *AuditEvent) error
	// TouchSession returns the enabled user and the session whose secret
	// hashes to hash, if it has not expired, and moves its idle expiry to
	// now+idle (never past ExpiresAt). EUNAUTHORIZED otherwise.
	TouchSession(ctx context.Context, hash SHA256, idle time.Duration) (User, Session, error)
	// DeleteSession logs a session out.
	DeleteSession(ctx context.Context, hash SHA256) error
	// DeleteSessions logs every session of a user out and returns how
	// many there were.
	DeleteSessions(ctx context.Context, userID int64) (int64, error)
}

// WellnessStore keeps reviewers' wellness settings and exposure counts.
type WellnessStore interface {
	// WellnessSettings returns a user's settings (the defaults if they
	// never saved any).
	WellnessSettings(ctx context.Context, userID int64) (WellnessSettings, error)
	// SaveWellnessSettings stores a user's settings; the audit event,
	// when not nil, commits with them.
	SaveWellnessSettings(ctx context.Context, userID int64, w WellnessSettings, audit *AuditEvent) error
	// AddExposure counts n revealed items and returns the counts. With an
	// item (itemID not 0, n 1) the reveal counts only if the user has not
	// revealed that item since their last break: one reveal counts once.
	AddExposure(ctx context.Context, userID int64, n int, itemID int64) (Exposure, error)
	// Exposure returns the counts.
	Exposure(ctx context.Context, userID int64) (Exposure, error)
	// TakeBreak records a break: the since-break count starts again.
	TakeBreak(ctx context.Context, userID int64) (Exposure, error)
}
