package triage

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// The review queue. New and variant media wait for a victim-identification
// specialist in groups: identical content is stacked (one Member per
// SHA-256, however many items carry it), and near-duplicates are clustered
// into series by the same rules as winnow scan (package series). One
// reviewer at a time holds a group, with a lease that expires. Reviewers
// vote on members; when enough independent votes agree a member is
// confirmed and its content promoted into the lab's local hash set, so the
// next seizure holding it comes back known. Disagreements go to the
// adjudication lane. The rules (admission, lanes, claims, counting votes,
// adjudication, undo and overturn) are package review's; this file holds
// the nouns.

// Lane is one list of the review queue.
type Lane string

// Lanes.
const (
	LaneNew          Lane = "new"          // nothing known matched
	LaneVariant      Lane = "variant"      // near known material: confirm or correct the suggested category
	LaneAdjudication Lane = "adjudication" // reviewers disagreed; an adjudicator decides
)

// Lanes lists every lane in the order the queue shows them.
var Lanes = []Lane{LaneNew, LaneVariant, LaneAdjudication}

// ParseLane parses a lane name.
func ParseLane(s string) (Lane, error) {
	for _, l := range Lanes {
		if string(l) == s {
			return l, nil
		}
	}
	return "", Errorf(EINVALID, "unknown lane %q (want new, variant or adjudication)", s)
}

// MemberStatus is where one member (a distinct content) of a group is in
// review.
type MemberStatus string

// Member statuses.
const (
	MemberPending      MemberStatus = "pending"      // waiting for votes
	MemberAdjudication MemberStatus = "adjudication" // votes disagree
	MemberConfirmed    MemberStatus = "confirmed"    // decided; promoted to the local set
)

// ReviewFlags are the yes/no facts a reviewer records about content.
type ReviewFlags struct {
	VictimLead      bool `json:"victim_lead,omitempty"`      // a victim-identification lead
	OffenderVisible bool `json:"offender_visible,omitempty"` // an offender is visible
	SelfGenerated   bool `json:"self_generated,omitempty"`   // self-generated material
	AgeDifficult    bool `json:"age_difficult,omitempty"`    // the age is hard to tell
}

// Or returns the flags set in either f or g.
func (f ReviewFlags) Or(g ReviewFlags) ReviewFlags {
	return ReviewFlags{f.VictimLead || g.VictimLead, f.OffenderVisible || g.OffenderVisible,
		f.SelfGenerated || g.SelfGenerated, f.AgeDifficult || g.AgeDifficult}
}

// Names lists the set flags by name (victim-lead, offender-visible,
// self-generated, age-difficult).
func (f ReviewFlags) Names() []string {
	var s []string
	for _, n := range []struct {
		on   bool
		name string
	}{{f.VictimLead, "victim-lead"}, {f.OffenderVisible, "offender-visible"}, {f.SelfGenerated, "self-generated"}, {f.AgeDifficult, "age-difficult"}} {
		if n.on {
			s = append(s, n.name)
		}
	}
	return s
}

// Limits of a vote's free-text fields.
const (
	MaxSeriesLen = 200
	MaxTags      = 32
	MaxTagLen    = 64
	MaxNotesLen  = 4000
)

// Vote is one reviewer's decision on one member: a category in the
// configured scheme and what else they recorded. The free text (series,
// flags, tags, notes) belongs to the case it was written in (CaseID): it
// is shown and exported only with that case. The category is what crosses
// cases, through the local hash set.
type Vote struct {
	SHA256     SHA256      `json:"-"`
	ReviewerID int64       `json:"reviewer_id"`
	Reviewer   string      `json:"reviewer,omitempty"`
	Category   Category    `json:"-"`
	CaseID     int64       `json:"-"`
	Case       string      `json:"case,omitempty"`
	Series     string      `json:"series,omitempty"`
	Flags      ReviewFlags `json:"flags"`
	Tags       []string    `json:"tags,omitempty"`
	Notes      string      `json:"notes,omitempty"`
	At         time.Time   `json:"at"`
}

// HasText reports whether the vote records anything besides its category
// (series, flags, tags or notes): that needs a case to belong to.
func (v *Vote) HasText() bool {
	return v.Series != "" || v.Flags != (ReviewFlags{}) || len(v.Tags) > 0 || v.Notes != ""
}

// Validate reports a vote that cannot be recorded: it needs a category of
// scheme (when scheme is not ""), and its texts are bounded.
func (v *Vote) Validate(scheme string) error {
	switch {
	case v.Category.IsZero():
		return Errorf(EINVALID, "a decision needs a category")
	case scheme != "" && v.Category.Scheme != scheme:
		return Errorf(EINVALID, "category %s is not in the lab's review scheme %s", v.Category, scheme)
	}
	if _, ok := LookupScheme(v.Category.Scheme); !ok {
		return Errorf(EINVALID, "unknown category scheme %q", v.Category.Scheme)
	}
	return validateText(v.Series, v.Notes, v.Tags)
}

// validateText bounds the free text of a vote or a note.
func validateText(series, notes string, tags []string) error {
	switch {
	case len(series) > MaxSeriesLen:
		return Errorf(EINVALID, "series name is longer than %d bytes", MaxSeriesLen)
	case len(notes) > MaxNotesLen:
		return Errorf(EINVALID, "notes are longer than %d bytes", MaxNotesLen)
	case len(tags) > MaxTags:
		return Errorf(EINVALID, "more than %d tags", MaxTags)
	case !utf8.ValidString(series) || !utf8.ValidString(notes):
		return Errorf(EINVALID, "series and notes must be UTF-8 text")
	}
	for _, t := range tags {
		if t == "" || len(t) > MaxTagLen || !utf8.ValidString(t) || strings.ContainsAny(t, ",\n\r\t") {
			return Errorf(EINVALID, "tag %q: tags are 1-%d bytes of text without commas or line breaks", t, MaxTagLen)
		}
	}
	return nil
}

// CaseNotes is what reviewers wrote about a content in one case: the
// series name, flags, tags and notes of the votes cast there, merged.
type CaseNotes struct {
	CaseID int64       `json:"-"`
	Case   string      `json:"case"`
	Series string      `json:"series,omitempty"`
	Flags  ReviewFlags `json:"flags"`
	Tags   []string    `json:"tags,omitempty"`
	Notes  string      `json:"notes,omitempty"`
}

// ReviewDecision is the outcome of review for one member: the confirmed
// category, with the reviewers it rests on. Only the category crosses
// cases (into the local hash set); what reviewers wrote stays with the
// case it was written in (Notes, one per case the viewer may see).
type ReviewDecision struct {
	SHA256    SHA256   `json:"-"`
	Category  Category `json:"-"`
	Reviewers []string `json:"reviewers"`
	// Adjudicator is set when the decision was made in the adjudication
	// lane, after reviewers disagreed.
	Adjudicator string    `json:"adjudicator,omitempty"`
	DecidedAt   time.Time `json:"decided_at"`
	// Overturn is set when an adjudicator overturned the category.
	Overturn *Overturn `json:"overturn,omitempty"`
	// Notes are the case notes of the content, for the cases the reader
	// may see.
	Notes []CaseNotes `json:"notes,omitempty"`
}

// Overturn is an adjudicator's correction of a confirmed decision.
type Overturn struct {
	By       string    `json:"by"`
	Reason   string    `json:"reason"`
	Previous Category  `json:"-"`
	At       time.Time `json:"at"`
}

// MaxReasonLen bounds the reason given for an overturn.
const MaxReasonLen = 2000

// ValidateReason reports an overturn reason that cannot be recorded: it
// is required, UTF-8 and bounded.
func ValidateReason(reason string) error {
	switch {
	case strings.TrimSpace(reason) == "":
		return Errorf(EINVALID, "an overturn needs a reason")
	case len(reason) > MaxReasonLen || !utf8.ValidString(reason):
		return Errorf(EINVALID, "the reason must be UTF-8 text of at most %d bytes", MaxReasonLen)
	}
	return nil
}

// Outcome is what a member's votes add up to (review.Tally).
type Outcome struct {
	Status MemberStatus
	// Decision is set when Status is MemberConfirmed.
	Decision ReviewDecision
	// Needed is how many more votes are needed (pending only).
	Needed int
}

// CategoryKeys maps the keys a reviewer presses to the categories of one
// scheme: keys 0-5 for Project VIC's schemes (the code itself), A/B/C for
// CAID (upper case, so that lower-case c stays "claim" in the UI).
type CategoryKeys struct {
	Scheme string            `json:"scheme"`
	Keys   map[string]string `json:"keys"` // key -> code
}

// DefaultCategoryKeys returns the key map of a built-in scheme: every
// single-character code is its own key, and CAID adds N (not indecent)
// and I (ignorable). ENOTFOUND for an unknown scheme.
func DefaultCategoryKeys(scheme string) (CategoryKeys, error) {
	s, ok := LookupScheme(scheme)
	if !ok {
		return CategoryKeys{}, Errorf(EINVALID, "unknown category scheme %q (known: %s)", scheme, strings.Join(SchemeNames(), ", "))
	}
	k := CategoryKeys{Scheme: scheme, Keys: map[string]string{}}
	for code := range s.Labels {
		if len(code) == 1 {
			k.Keys[strings.ToUpper(code)] = code
		}
	}
	if scheme == SchemeCAID {
		k.Keys["N"], k.Keys["I"] = "non-indecent", "ignorable"
	}
	if len(k.Keys) == 0 {
		return k, Errorf(EINVALID, "scheme %s has no single-character codes to put on keys", scheme)
	}
	return k, nil
}

// PriorityWeights weigh the components of a group's priority score. Each
// component is a value from 0 to 1 (see PriorityFeatures); its points are
// weight times value, and the score is the sum of the points. A weight of
// 0 turns a component off.
type PriorityWeights struct {
	CameraOriginal float64 `json:"camera_original"` // camera make and model in EXIF, no editing software
	GPS            float64 `json:"gps"`             // GPS coordinates in EXIF
	SeriesSize     float64 `json:"series_size"`     // distinct contents in the group: 1 - 1/n
	Recurrence     float64 `json:"recurrence"`      // other exhibits and cases with this content: 1 - 1/(1 + exhibits-1 + 2*(cases-1))
	ImageSize      float64 `json:"image_size"`      // the largest image's megapixels / 12, at most 1
	Recency        float64 `json:"recency"`         // newest capture date: 0.5^(age / RecencyHalfLife)
	// RecencyHalfLife is the age at which a capture date is worth half
	// the Recency weight (0: 2 years).
	RecencyHalfLife time.Duration `json:"recency_half_life"`
}

// DefaultPriorityWeights are the weights used when none are configured:
// camera originals and GPS first (the best victim-identification leads),
// then large series and content seen in several places, then size and
// recency.
func DefaultPriorityWeights() PriorityWeights {
	return PriorityWeights{CameraOriginal: 3, GPS: 3, SeriesSize: 2, Recurrence: 2, ImageSize: 1, Recency: 1,
		RecencyHalfLife: 2 * 365 * 24 * time.Hour}
}

// Validate reports weights that cannot be used.
func (w PriorityWeights) Validate() error {
	for _, v := range []float64{w.CameraOriginal, w.GPS, w.SeriesSize, w.Recurrence, w.ImageSize, w.Recency} {
		if v < 0 || v > 1000 || math.IsNaN(v) {
			return Errorf(EINVALID, "priority weights must be numbers from 0 to 1000")
		}
	}
	if w.RecencyHalfLife < 0 {
		return Errorf(EINVALID, "recency half-life must not be negative")
	}
	return nil
}

// PriorityFeatures are the facts about a group that its score rests on.
type PriorityFeatures struct {
	CameraOriginal int       // members whose EXIF names a camera make and model and no editing software
	GPS            int       // members with GPS coordinates
	Members        int       // distinct contents
	Exhibits       int       // distinct exhibits holding any member
	Cases          int       // distinct cases holding any member
	MaxPixels      int64     // width * height of the largest member
	NewestCapture  time.Time // latest EXIF capture date (zero: none)
}

// ScoreComponent is one term of a priority score, with why it scores.
type ScoreComponent struct {
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
	Value  float64 `json:"value"`  // 0-1
	Points float64 `json:"points"` // weight * value
	Why    string  `json:"why"`
}

// PriorityScore is a group's priority with its breakdown.
type PriorityScore struct {
	Total      float64          `json:"total"`
	Components []ScoreComponent `json:"components"`
}

// Score computes the priority of a group with features f at time now.
func (w PriorityWeights) Score(f PriorityFeatures, now time.Time) PriorityScore {
	half := w.RecencyHalfLife
	if half <= 0 {
		half = 2 * 365 * 24 * time.Hour
	}
	var s PriorityScore
	add := func(name string, weight, value float64, why string) {
		c := ScoreComponent{Name: name, Weight: weight, Value: round3(value), Points: round3(weight * value), Why: why}
		s.Components = append(s.Components, c)
		s.Total += weight * value
	}
	yes := func(n int, what string) (float64, string) {
		if n > 0 {
			return 1, fmt.Sprintf("%d of %d members %s", n, max(f.Members, n), what)
		}
		return 0, "no member " + what
	}
	v, why := yes(f.CameraOriginal, "look camera-original (make and model, no editing software)")
	add("camera_original", w.CameraOriginal, v, why)
	v, why = yes(f.GPS, "have GPS coordinates")
	add("gps", w.GPS, v, why)
	n := max(f.Members, 1)
	add("series_size", w.SeriesSize, 1-1/float64(n), fmt.Sprintf("%d distinct image(s) in the series", n))
	others := max(f.Exhibits-1, 0) + 2*max(f.Cases-1, 0)
	add("recurrence", w.Recurrence, 1-1/float64(1+others),
		fmt.Sprintf("seen in %d exhibit(s) of %d case(s)", max(f.Exhibits, 1), max(f.Cases, 1)))
	mp := float64(f.MaxPixels) / 1e6
	add("image_size", w.ImageSize, min(mp/12, 1), fmt.Sprintf("largest image %.1f MP", mp))
	if f.NewestCapture.IsZero() {
		add("recency", w.Recency, 0, "no capture date in EXIF")
	} else {
		age := max(now.Sub(f.NewestCapture), 0)
		add("recency", w.Recency, math.Pow(0.5, float64(age)/float64(half)),
			fmt.Sprintf("newest capture %s (%.1f years ago)", f.NewestCapture.Format("2006-01-02"), age.Hours()/24/365.25))
	}
	s.Total = round3(s.Total)
	return s
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// EXIFFeatures reads what the priority score uses from an EXIF summary
// (exiftool's tag names and -n formats, as the workers record them):
// whether the content looks camera-original, whether it has GPS
// coordinates, and its capture date.
func EXIFFeatures(exif map[string]string) (cameraOriginal, gps bool, captured time.Time) {
	cameraOriginal = exif["Make"] != "" && exif["Model"] != "" && exif["Software"] == ""
	_, lat := exif["GPSLatitude"]
	_, lon := exif["GPSLongitude"]
	gps = lat && lon
	for _, k := range []string{"DateTimeOriginal", "CreateDate"} {
		if t, err := time.Parse("2006:01:02 15:04:05", strings.TrimSpace(exif[k])); err == nil {
			return cameraOriginal, gps, t
		}
	}
	return cameraOriginal, gps, time.Time{}
}

// ReviewGroup is a group of the review queue as one user sees it.
type ReviewGroup struct {
	ID int64 `json:"id"`
	// Members counts the distinct contents the user may see; Pending
	// those still needing the user's vote, Adjudication those in
	// adjudication, Confirmed those decided.
	Members      int `json:"members"`
	Pending      int `json:"pending"`
	Adjudication int `json:"adjudication"`
	Confirmed    int `json:"confirmed"`
	// Lanes lists the lanes the group is in for the user.
	Lanes []Lane `json:"lanes"`
	// Representative is an item of the group's largest visible member.
	Representative int64  `json:"representative_item"`
	ClaimedBy      string `json:"claimed_by,omitempty"`
	// LeaseExpires is when the claim runs out (zero: not claimed).
	LeaseExpires time.Time        `json:"lease_expires,omitzero"`
	Features     PriorityFeatures `json:"-"`
	Priority     PriorityScore    `json:"priority"`
	CreatedAt    time.Time        `json:"created_at"`
}

// Claim is a reviewer's hold on a group.
type Claim struct {
	GroupID      int64     `json:"group_id"`
	ReviewerID   int64     `json:"reviewer_id"`
	Reviewer     string    `json:"reviewer"`
	LeaseExpires time.Time `json:"lease_expires"`
}

// ErrGroupClaimed is returned (wrapped) when another reviewer holds a
// group.
var ErrGroupClaimed = Errorf(ECONFLICT, "another reviewer holds this group; pick another or wait for their lease to run out")

// WellnessSettings are a reviewer's protections against needless
// exposure, kept by the server so they follow the reviewer.
type WellnessSettings struct {
	// Blur is the blur radius of unrevealed media in CSS pixels (0-64).
	Blur int `json:"blur"`
	// Grayscale shows unrevealed media without colour.
	Grayscale bool `json:"grayscale"`
	// RevealMode is "click" (a click or space toggles) or "hold" (shown
	// while the mouse button or the key is held).
	RevealMode string `json:"reveal_mode"`
	// BreakEvery is how many revealed items call for a break reminder
	// (0: never); BreakMinutes how many minutes of work (0: never).
	BreakEvery   int `json:"break_every"`
	BreakMinutes int `json:"break_minutes"`
	// ConfirmOver is how many items a bulk decision may cover before the
	// UI shows a summary to confirm (0: always).
	ConfirmOver int `json:"confirm_over"`
}

// DefaultWellnessSettings are every reviewer's settings until they change
// them: strong blur, grayscale, reveal on click, a reminder every 50
// revealed items or 45 minutes, a summary before deciding more than 20
// items at once.
func DefaultWellnessSettings() WellnessSettings {
	return WellnessSettings{Blur: 24, Grayscale: true, RevealMode: "click", BreakEvery: 50, BreakMinutes: 45, ConfirmOver: 20}
}

// Validate reports settings that cannot be used.
func (w *WellnessSettings) Validate() error {
	switch {
	case w.Blur < 0 || w.Blur > 64:
		return Errorf(EINVALID, "blur %d is out of range 0-64 (pixels)", w.Blur)
	case w.RevealMode != "click" && w.RevealMode != "hold":
		return Errorf(EINVALID, "reveal_mode %q: want click or hold", w.RevealMode)
	case w.BreakEvery < 0 || w.BreakEvery > 100000:
		return Errorf(EINVALID, "break_every %d is out of range 0-100000 (revealed items)", w.BreakEvery)
	case w.BreakMinutes < 0 || w.BreakMinutes > 24*60:
		return Errorf(EINVALID, "break_minutes %d is out of range 0-1440", w.BreakMinutes)
	case w.ConfirmOver < 0 || w.ConfirmOver > 100000:
		return Errorf(EINVALID, "confirm_over %d is out of range 0-100000 (items)", w.ConfirmOver)
	}
	return nil
}

// Exposure counts what a reviewer has revealed.
type Exposure struct {
	Today      int64 `json:"today"`
	Total      int64 `json:"total"`
	SinceBreak int64 `json:"since_break"`
	// LastBreak is when the reviewer last took (acknowledged) a break.
	LastBreak time.Time `json:"last_break,omitzero"`
	// BreakDue reports whether the settings call for a break now.
	BreakDue bool `json:"break_due"`
}

// BreakDue reports whether a reviewer with exposure e and settings w
// should be reminded to take a break at now.
func (w WellnessSettings) BreakDue(e Exposure, now time.Time) bool {
	if w.BreakEvery > 0 && e.SinceBreak >= int64(w.BreakEvery) {
		return true
	}
	return w.BreakMinutes > 0 && !e.LastBreak.IsZero() && e.SinceBreak > 0 &&
		now.Sub(e.LastBreak) >= time.Duration(w.BreakMinutes)*time.Minute
}
