package wire

import (
	"encoding/json"

	"github.com/winnow-forensics/winnow/triage"
)

// FormatVersion is the version of the item model, carried as
// format_version by the documents that hold items.
const FormatVersion = 2

// Opt is a string that is null in JSON when empty: a hash not computed,
// no error. Decoding null gives "".
type Opt string

// MarshalJSON writes null for "".
func (o Opt) MarshalJSON() ([]byte, error) {
	if o == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(o))
}

// UnmarshalJSON reads a string or null.
func (o *Opt) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*o = ""
	if s != nil {
		*o = Opt(*s)
	}
	return nil
}

// Item is what analysis says about one file, wherever it was analysed.
// Documents embed it with their own fields (a report's item numbers and
// series, the lab's states and timestamps).
type Item struct {
	// Path is the file's path as received or scanned; InnerPath a
	// member's path inside its container, empty for files; RawName a name
	// exactly as its source stored it (Go-quoted), when it had to be
	// escaped for Path.
	Path      string `json:"path"`
	InnerPath string `json:"inner_path,omitempty"`
	RawName   string `json:"raw_name,omitempty"`
	Size      int64  `json:"size"`
	// Hashes are lowercase hex, null when not computed (nothing could be
	// read, or not an image).
	MD5        Opt    `json:"md5"`
	SHA1       Opt    `json:"sha1"`
	SHA256     Opt    `json:"sha256"`
	MIME       string `json:"mime"`
	Kind       string `json:"kind"`
	Width      int    `json:"width,omitempty"`
	Height     int    `json:"height,omitempty"`
	PDQ        Opt    `json:"pdq"`
	PDQQuality *int   `json:"pdq_quality"`
	PHash      Opt    `json:"phash"`
	DHash      Opt    `json:"dhash"`
	// Partial is true when the perceptual hashes are of part of the
	// picture: a JPEG cut short, hashed from the rows its data holds
	// (Width and Height are the declared size). Such an item is at most
	// a variant by its perceptual hashes, never known.
	Partial bool `json:"partial,omitempty"`
	// Verdict is known, variant, ignorable, new or error (absent while a
	// lab item waits for analysis); Reason says why in a few words, and
	// Category is the category the verdict rests on.
	Verdict       triage.Verdict `json:"verdict,omitempty"`
	Reason        string         `json:"reason"`
	Category      string         `json:"category,omitempty"`
	CategoryLabel string         `json:"category_label,omitempty"`
	// AlsoKnownGood names the sets that list a known or variant item as
	// known-good too (by an exact digest): the alert verdict stands, but
	// the examiner must see the conflict.
	AlsoKnownGood []string `json:"also_known_good,omitempty"`
	// Matches are the hash-set entries the item matched, exact matches
	// first (null where a listing leaves them out).
	Matches []Match `json:"matches"`
	// Error is why the item could not be fully analysed, or null.
	Error Opt `json:"error"`
	// Origin is set for an item read from a disk image: its file system,
	// whether it was deleted or carved, where its content lies in the
	// image, and the file system's timestamps.
	Origin *triage.Origin `json:"origin,omitempty"`
}

// SetCategory sets the category the verdict rests on, with its label.
func (it *Item) SetCategory(c triage.Category) {
	if !c.IsZero() {
		it.Category, it.CategoryLabel = c.String(), c.Label()
	}
}

// AddAlsoKnownGood adds set to AlsoKnownGood once.
func (it *Item) AddAlsoKnownGood(set string) {
	for _, s := range it.AlsoKnownGood {
		if s == set {
			return
		}
	}
	it.AlsoKnownGood = append(it.AlsoKnownGood, set)
}

// Match is one hash-set entry an item matched.
type Match struct {
	Set        string `json:"set"`
	SetVersion string `json:"set_version"`
	SetKind    string `json:"set_kind"`
	Entry      int    `json:"entry"`
	EntryID    string `json:"entry_id,omitempty"`
	Algorithm  string `json:"algorithm"`
	// Distance is the Hamming distance, or for algorithm "keypoints" (a
	// match of local features, verified geometrically) the number of
	// features that agree.
	Distance int `json:"distance"`
	// Transform is the rotation or flip of the item that matched (rot90,
	// rot180, rot270, flipx, flipy, flipp, flipm); empty for the item as is.
	Transform     string `json:"transform,omitempty"`
	Category      string `json:"category,omitempty"`
	CategoryLabel string `json:"category_label,omitempty"`
	Series        string `json:"series,omitempty"`
	// View is the derived view of the item that matched (trim, deskew...),
	// empty for the whole image; Borderline marks a match beyond the set's
	// radius that counts because another algorithm matched the same entry.
	View       string `json:"view,omitempty"`
	Borderline bool   `json:"borderline,omitempty"`
	// Region is the region of the entry's image that matched ("centre":
	// its centre 80%, triage.Entry.Regions), empty for the whole image.
	Region string `json:"region,omitempty"`
	// Timestamps: a video whose frames show this still entry, the times
	// (seconds) it appears. QueryPercent and TargetPercent: a video that
	// matched a video entry by vPDQ (algorithm "vpdq"), the shares of its
	// frames and of the entry's video's that match.
	Timestamps    []float64 `json:"timestamps,omitempty"`
	QueryPercent  float64   `json:"query_percent,omitempty"`
	TargetPercent float64   `json:"target_percent,omitempty"`
}

// Transforms names triage.Match.Dihedral values: Transforms[d] is the
// transform of dihedral d ("" for the item as is).
var Transforms = [8]string{"", "rot90", "rot180", "rot270", "flipx", "flipy", "flipp", "flipm"}

// MatchOf is a match as the model writes it.
func MatchOf(m triage.Match) Match {
	w := Match{Set: m.Set, SetVersion: m.SetVersion, SetKind: string(m.SetKind), Entry: m.Entry, EntryID: m.EntryID,
		Algorithm: m.Algo.String(), Distance: m.Distance, Series: m.Series, View: string(m.View), Borderline: m.Borderline,
		Region: m.Region.String(), Timestamps: m.Timestamps, QueryPercent: m.QueryPercent, TargetPercent: m.TargetPercent}
	if m.Dihedral > 0 && m.Dihedral < len(Transforms) {
		w.Transform = Transforms[m.Dihedral]
	}
	if !m.Category.IsZero() {
		w.Category, w.CategoryLabel = m.Category.String(), m.Category.Label()
	}
	return w
}
