package triage

import (
	"slices"
	"strings"
	"time"
)

// The review workspace: the queue as a grid of tiles (one per distinct
// content) that a reviewer filters, sorts and pages through, device links
// between items taken with the same camera, and the corrections of a
// decision (undo within the claim, overturn by an adjudicator).

// QueueQuery asks for a page of the groups waiting in a lane ("" any
// lane), Limit 0 for every group.
type QueueQuery struct {
	Lane          Lane
	Offset, Limit int
	Count         bool
}

// Tile states a TileQuery can ask for.
const (
	StateTodo         = "todo"         // waiting for the viewer: a pending member they have not voted on (in the adjudication lane: a member in adjudication)
	StateVoted        = "voted"        // the viewer voted; other votes are still needed
	StateAdjudication = "adjudication" // reviewers disagreed
	StateConfirmed    = "confirmed"    // decided
)

// Tile sort orders.
const (
	SortPriority = "priority" // the group's priority score, best first, a group's members together
	SortDate     = "date"     // EXIF capture date, oldest first (undated last)
	SortPath     = "path"     // the content's first path
	SortSize     = "size"     // bytes
)

// MaxTilePage is the most tiles one page may ask for.
const MaxTilePage = 1000

// TileQuery is what a reviewer asks of the queue: every field left zero
// does not filter.
type TileQuery struct {
	// Lane: new, variant or adjudication.
	Lane Lane
	// State: StateTodo, StateVoted, StateAdjudication or StateConfirmed.
	State string
	// Category is a confirmed category or the viewer's own vote's.
	Category string
	GroupID  int64
	// Case and Exhibit are names; a content matches when one of its items
	// the viewer may see is there (and under Path, when given).
	Case, Exhibit string
	// Path is a substring of an item's path or inner path (case-insensitive).
	Path string
	// Kind is image or video.
	Kind string
	// GPS: "yes" or "no".
	GPS string
	// Make, Model and Serial are EXIF values (case-insensitive, exact).
	Make, Model, Serial string
	// Device is a DeviceKey.
	Device string
	// From and To bound the EXIF capture date (To exclusive).
	From, To time.Time
	// MinSize and MaxSize bound the size in bytes (0: no bound).
	MinSize, MaxSize int64
	// Series is a series name written in a case the viewer may see.
	Series string
	// Sort is one of the Sort constants (default SortPriority); Desc
	// reverses it.
	Sort string
	Desc bool
	// Offset and Limit page the result (Limit 1-MaxTilePage). After, when
	// set, starts the page after that tile instead of at Offset (keyset
	// paging: deciding tiles of earlier pages does not shift later ones).
	Offset, Limit int
	After         *TileKey
	// Count asks for the number of matching tiles as well.
	Count bool
}

// Validate reports a query that cannot be run.
func (q *TileQuery) Validate() error {
	switch {
	case q.Lane != "" && !slices.Contains(Lanes, q.Lane):
		return Errorf(EINVALID, "unknown lane %q (want new, variant or adjudication)", q.Lane)
	case q.State != "" && q.State != StateTodo && q.State != StateVoted && q.State != StateAdjudication && q.State != StateConfirmed:
		return Errorf(EINVALID, "state %q: want todo, voted, adjudication or confirmed", q.State)
	case q.Sort != "" && q.Sort != SortPriority && q.Sort != SortDate && q.Sort != SortPath && q.Sort != SortSize:
		return Errorf(EINVALID, "sort %q: want priority, date, path or size", q.Sort)
	case q.Kind != "" && q.Kind != "image" && q.Kind != "video":
		return Errorf(EINVALID, "kind %q: want image or video", q.Kind)
	case q.GPS != "" && q.GPS != "yes" && q.GPS != "no":
		return Errorf(EINVALID, "gps %q: want yes or no", q.GPS)
	case q.Offset < 0 || q.Limit < 1 || q.Limit > MaxTilePage:
		return Errorf(EINVALID, "offset must be 0 or more and limit 1-%d", MaxTilePage)
	case q.MinSize < 0 || q.MaxSize < 0:
		return Errorf(EINVALID, "sizes must not be negative")
	case len(q.Path) > 1000 || len(q.Series) > MaxSeriesLen || len(q.Make)+len(q.Model)+len(q.Serial)+len(q.Device) > 2000:
		return Errorf(EINVALID, "a filter value is too long")
	}
	return nil
}

// TileKey is where a tile stands in a sort: its member and the values
// the sorts use.
type TileKey struct {
	MemberID int64     `json:"m"`
	GroupID  int64     `json:"g"`
	Priority float64   `json:"p"`
	Captured time.Time `json:"c,omitzero"`
	Path     string    `json:"s,omitempty"`
	Size     int64     `json:"z"`
}

// Key returns the tile's TileKey.
func (t *Tile) Key() TileKey {
	return TileKey{MemberID: t.MemberID, GroupID: t.GroupID, Priority: t.Priority, Captured: t.Captured, Path: t.SortPath, Size: t.Size}
}

// Tile is one distinct content in the workspace grid, as the viewer sees
// it.
type Tile struct {
	MemberID int64        `json:"member_id"`
	GroupID  int64        `json:"group_id"`
	SHA256   SHA256       `json:"-"`
	Lane     Lane         `json:"lane"`
	Status   MemberStatus `json:"status"`
	Kind     string       `json:"kind"`
	Width    int          `json:"width"`
	Height   int          `json:"height"`
	Size     int64        `json:"size"`
	// Item is the first item with this content that the viewer may see
	// and that matches the query; Items counts the viewer's items.
	Item  ReviewItemRef `json:"item"`
	Items int           `json:"items"`
	// Suggested is the category of the known material a variant is near.
	Suggested Category `json:"-"`
	Make      string   `json:"make,omitempty"`
	Model     string   `json:"model,omitempty"`
	GPS       bool     `json:"gps"`
	Device    string   `json:"device,omitempty"`
	// Captured is the EXIF capture date (zero: none).
	Captured time.Time `json:"captured,omitzero"`
	Priority float64   `json:"priority"`
	// SortPath is the path the path sort uses (the content's first).
	SortPath string `json:"-"`
	// MyVote is the viewer's vote's category; Decision the confirmed one.
	MyVote   Category `json:"-"`
	Decision Category `json:"-"`
}

// TilePage is one page of tiles.
type TilePage struct {
	Tiles []Tile
	// Total is the number of matching tiles (-1: not counted).
	Total int
}

// DeviceKey names the device a content was taken with, from its EXIF
// summary, for linking items across exhibits and cases: a camera body by
// make and serial number ("serial:canon/0123456789"), or else a phone by
// make, model and software version ("model:apple/iphone 12/17.1.2").
// Values are lower-cased and trimmed. "" when the summary names no
// device that precisely (a make and model alone are shared by millions).
func DeviceKey(exif map[string]string) string {
	norm := func(k string) string { return strings.ToLower(strings.Join(strings.Fields(exif[k]), " ")) }
	mk := norm("Make")
	for _, k := range []string{"SerialNumber", "InternalSerialNumber"} {
		if s := norm(k); s != "" && strings.Trim(s, "0 ") != "" {
			return "serial:" + mk + "/" + s
		}
	}
	if m, sw := norm("Model"), norm("Software"); m != "" && sw != "" {
		return "model:" + mk + "/" + m + "/" + sw
	}
	return ""
}

// DeviceLink is a device and where else the viewer may see content taken
// with it.
type DeviceLink struct {
	Device string `json:"device"`
	// Items counts the items with content from this device in cases the
	// viewer may see; Exhibits lists them by case/exhibit with a count.
	Items    int                `json:"items"`
	Exhibits []DeviceAppearance `json:"exhibits"`
}

// DeviceAppearance counts a device's items in one exhibit.
type DeviceAppearance struct {
	Case    string `json:"case"`
	Exhibit string `json:"exhibit"`
	Items   int    `json:"items"`
}

// UndoRequest takes back a reviewer's own decisions on members of a
// group they hold, made since they claimed it.
type UndoRequest struct {
	GroupID  int64
	Reviewer User
	// Members are the contents (nil: every decision of the reviewer in the
	// correction window).
	Members []SHA256
	// Required is how many agreeing votes confirm a member.
	Required int
	// LocalSet is the local hash set promoted entries are withdrawn from.
	LocalSet string
	// Audit makes the undo's audit events, recorded in its transaction.
	Audit AuditOf[UndoResult]
}

// UndoResult is what an undo did.
type UndoResult struct {
	Outcomes []MemberOutcome `json:"outcomes"`
	// Version is the local set version that withdrew promoted entries (0:
	// none was withdrawn).
	Version int `json:"version,omitempty"`
	// Withdrawn lists the entry numbers withdrawn from the local set.
	Withdrawn []int64 `json:"withdrawn,omitempty"`
}

// OverturnRequest is an adjudicator's correction of a confirmed decision.
type OverturnRequest struct {
	MemberID    int64
	Adjudicator User
	Category    Category
	Reason      string
	LocalSet    string
	// Audit makes the overturn's audit events, recorded in its
	// transaction.
	Audit AuditOf[OverturnResult]
}

// OverturnResult is what an overturn did: the entry withdrawn and the
// entry promoted with the new category, both in one new version.
type OverturnResult struct {
	MemberID  int64  `json:"member_id"`
	SHA256    SHA256 `json:"-"`
	Previous  string `json:"previous"`
	Category  string `json:"category"`
	Withdrawn int64  `json:"withdrawn"`
	Entry     int64  `json:"entry"`
	Version   int    `json:"version"`
}
