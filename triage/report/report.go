// Package report builds and writes the report of a scan: report.json (the
// contract other tools read), report.csv (one row per item), report.html
// (self-contained, for people) and a VICS 2.0 case export.
//
// A Builder collects items in whatever order a parallel scan finishes
// them and turns them into a Report: items in a stable order with ids,
// identical files stacked, new and variant items clustered into
// near-duplicate series (series.Stacks, series.Group), counts per
// verdict. The package imports the standard library and triage only.
package report

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// FormatName and FormatVersion identify the report.json format.
const (
	FormatName    = "winnow-scan-report"
	FormatVersion = 1
)

// Report is a scan's report; report.json is this value as JSON.
type Report struct {
	Format        string `json:"format"`
	FormatVersion int    `json:"format_version"`
	Tool          Tool   `json:"tool"`
	// Complete is false when the scan was interrupted or stopped early;
	// IncompleteReason then says why, and items not reached are missing.
	Complete         bool      `json:"complete"`
	IncompleteReason string    `json:"incomplete_reason,omitempty"`
	Started          time.Time `json:"started"`
	Finished         time.Time `json:"finished"`
	Inputs           []string  `json:"inputs"`
	HashSets         []HashSet `json:"hash_sets"`
	Options          Options   `json:"options"`
	Counts           Counts    `json:"counts"`
	Items            []Item    `json:"items"`
	Duplicates       []Stack   `json:"duplicates"`
	Groups           []Group   `json:"groups"`

	byPath map[string]int // item index by path, built on demand
}

// Tool names the program that wrote the report.
type Tool struct {
	Name     string   `json:"name"`
	Version  string   `json:"version"`
	Go       string   `json:"go"`
	Decoders []string `json:"decoders,omitempty"`
}

// HashSet describes one hash set the scan matched against.
type HashSet struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Kind        string `json:"kind"` // alert or known-good
	Entries     int    `json:"entries"`
	File        string `json:"file"`
	FileSHA256  string `json:"file_sha256"`
	Description string `json:"description,omitempty"`
	PDQRadius   int    `json:"pdq_radius"`
	PHashRadius int    `json:"phash_radius"`
}

// Options record how the scan was configured.
type Options struct {
	Workers        int             `json:"workers"`
	Algorithms     string          `json:"algorithms"`
	FollowSymlinks bool            `json:"follow_symlinks"`
	FastJPEG       bool            `json:"fast_jpeg"`
	Rules          any             `json:"rules"`
	Matching       MatchingOptions `json:"matching"`
	ImageLimits    ImageLimits     `json:"image_limits"`
	ArchiveLimits  ArchiveLimits   `json:"archive_limits"`
	Series         SeriesOptions   `json:"series"`
	Thumbnails     int             `json:"html_thumbnails"`
	HTMLRows       int             `json:"html_rows_per_table"`
}

// MatchingOptions are the matcher's defaults (a set may override radii).
type MatchingOptions struct {
	PDQRadius     int `json:"pdq_radius"`
	PHashRadius   int `json:"phash_radius"`
	MinPDQQuality int `json:"min_pdq_quality"`
}

// ImageLimits are the decoding limits (hashing.Limits).
type ImageLimits struct {
	MaxPixels     int64 `json:"max_pixels"`
	MaxImageBytes int64 `json:"max_image_bytes"`
	BufferBytes   int64 `json:"buffer_bytes"`
	DecodeMemory  int64 `json:"decode_memory_bytes"`
	MinSide       int   `json:"min_side"`
}

// ArchiveLimits are the expansion limits (archive.Limits).
type ArchiveLimits struct {
	MaxDepth       int   `json:"max_depth"`
	MaxEntries     int   `json:"max_members"`
	MaxMemberBytes int64 `json:"max_member_bytes"`
	MaxTotalBytes  int64 `json:"max_total_bytes"`
	MaxRatio       int64 `json:"max_ratio"`
	RatioFloor     int64 `json:"ratio_floor_bytes"`
	MaxNestedBytes int64 `json:"max_nested_bytes"`
}

// SeriesOptions are the clustering thresholds (series.Options).
type SeriesOptions struct {
	PDQRadius      int `json:"pdq_radius"`
	PHashRadius    int `json:"phash_radius"`
	PHashPDQRadius int `json:"phash_pdq_radius"`
	MinPDQQuality  int `json:"min_pdq_quality"`
}

// Counts summarise the items.
type Counts struct {
	Items int   `json:"items"`
	Bytes int64 `json:"bytes"`
	// Verdicts has every verdict as a key, zero counts included.
	Verdicts map[string]int `json:"verdicts"`
	// Groups counts the series of new and variant items (singletons too);
	// Duplicates the stacks of identical files and DuplicateItems the
	// items in them.
	Groups         int `json:"groups"`
	Duplicates     int `json:"duplicates"`
	DuplicateItems int `json:"duplicate_items"`
	// Archives counts the archives expanded (nested ones included).
	Archives int `json:"archives"`
	// AlsoKnownGood counts the known and variant items that a known-good
	// set lists too (Item.AlsoKnownGood).
	AlsoKnownGood int `json:"also_known_good"`
}

// Item is one file: a file of the evidence or a member of an archive.
type Item struct {
	ID int `json:"id"`
	// Path is the file's path as scanned; a member of an archive is the
	// archive's path, "!/" and the member's path inside it
	// ("seizure/photos.zip!/holiday/img1.jpg", nested "a.zip!/b.tar!/c.jpg").
	Path string `json:"path"`
	// OuterPath is the file on the evidence (the outermost archive for a
	// member); InnerPath the member's path inside it, empty for files.
	OuterPath string `json:"outer_path"`
	InnerPath string `json:"inner_path,omitempty"`
	// RawName is a member's name exactly as its archive stores it
	// (Go-quoted), when it had to be sanitised for Path.
	RawName  string     `json:"raw_name,omitempty"`
	Size     int64      `json:"size"`
	Modified *time.Time `json:"modified,omitempty"`
	// Hashes are lowercase hex, null when not computed (nothing could be
	// read, or not an image).
	MD5        *string `json:"md5"`
	SHA1       *string `json:"sha1"`
	SHA256     *string `json:"sha256"`
	MIME       string  `json:"mime"`
	Kind       string  `json:"kind"`
	Width      int     `json:"width,omitempty"`
	Height     int     `json:"height,omitempty"`
	PDQ        *string `json:"pdq"`
	PDQQuality *int    `json:"pdq_quality"`
	PHash      *string `json:"phash"`
	DHash      *string `json:"dhash"`
	// Verdict is known, variant, ignorable, new or error; Reason says why
	// in a few words, and Category is the category the verdict rests on.
	Verdict       string `json:"verdict"`
	Reason        string `json:"reason"`
	Category      string `json:"category,omitempty"`
	CategoryLabel string `json:"category_label,omitempty"`
	// AlsoKnownGood names the sets that list a known or variant item as
	// known-good too (by an exact digest): the alert verdict stands, but
	// the examiner must see the conflict.
	AlsoKnownGood []string `json:"also_known_good,omitempty"`
	// Matches are every hash-set entry the item matched, exact matches
	// first, then by distance (at most MaxMatches; MatchesOmitted counts
	// the rest).
	Matches        []Match `json:"matches"`
	MatchesOmitted int     `json:"matches_omitted,omitempty"`
	// Error is why the item could not be fully analysed, or null.
	Error *string `json:"error"`
	// Archive is set for an item that is an archive or disk image Winnow
	// expanded, with the number of members found directly inside it.
	Archive *ArchiveInfo `json:"archive,omitempty"`
	// Origin is set for an item read from a disk image: its file system,
	// whether it was deleted or carved, where its content lies in the
	// image, and the file system's timestamps.
	Origin *triage.Origin `json:"origin,omitempty"`
	// Video describes a video item: what vPDQ hashed and the layout of
	// its contact sheet (its thumbnail).
	Video *Video `json:"video,omitempty"`
	// Stack is the id of the item's stack of identical files (Duplicates),
	// Group the id of its near-duplicate series (Groups); 0 for none.
	Stack int `json:"duplicate_stack,omitempty"`
	Group int `json:"group,omitempty"`
}

// Video describes a video item.
type Video struct {
	Codec             string               `json:"codec,omitempty"`
	Duration          float64              `json:"duration"`
	FPS               float64              `json:"fps"`
	Rotation          int                  `json:"rotation,omitempty"`
	FramesHashed      int                  `json:"frames_hashed"`
	FramesInformative int                  `json:"frames_informative"`
	Sheet             *triage.ContactSheet `json:"sheet,omitempty"`
}

// ArchiveInfo describes an expanded archive or disk image.
type ArchiveInfo struct {
	Format  string `json:"format"`
	Members int    `json:"members"`
}

// MaxMatches bounds the matches listed per item.
const MaxMatches = 64

// Match is one hash-set entry an item matched.
type Match struct {
	Set        string `json:"set"`
	SetVersion string `json:"set_version"`
	SetKind    string `json:"set_kind"`
	Entry      int    `json:"entry"`
	EntryID    string `json:"entry_id,omitempty"`
	Algorithm  string `json:"algorithm"`
	Distance   int    `json:"distance"`
	// Transform is the rotation or flip of the item that matched (rot90,
	// rot180, rot270, flipx, flipy, flipp, flipm); empty for the item as is.
	Transform     string `json:"transform,omitempty"`
	Category      string `json:"category,omitempty"`
	CategoryLabel string `json:"category_label,omitempty"`
	Series        string `json:"series,omitempty"`
	// Timestamps: a video whose frames show this still entry, the times
	// (seconds) it appears. QueryPercent and TargetPercent: a video that
	// matched a video entry by vPDQ (algorithm "vpdq"), the shares of its
	// frames and of the entry's video's that match.
	Timestamps    []float64 `json:"timestamps,omitempty"`
	QueryPercent  float64   `json:"query_percent,omitempty"`
	TargetPercent float64   `json:"target_percent,omitempty"`
}

// Stack is a set of identical files (same SHA-256).
type Stack struct {
	ID     int    `json:"id"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Items  []int  `json:"items"`
}

// Group is a near-duplicate series of new and variant items: what a
// reviewer looks at once instead of item by item.
type Group struct {
	ID int `json:"id"`
	// Representative is the item to show for the group: the one with the
	// most pixels (the first on a tie).
	Representative int `json:"representative"`
	Size           int `json:"size"`
	// Distinct counts the different contents (Size less exact copies).
	Distinct int `json:"distinct"`
	// Verdicts counts the group's items per verdict (new, variant).
	Verdicts map[string]int `json:"verdicts"`
	Items    []int          `json:"items"`
}

// dihedralNames names Match.Dihedral values.
var dihedralNames = [8]string{"", "rot90", "rot180", "rot270", "flipx", "flipy", "flipp", "flipm"}

func hexp(s string) *string { return &s }

// NewItem fills an item's content fields from its fingerprint, its
// decision and its matches; the caller sets the paths.
func NewItem(fp *triage.Fingerprint, d triage.Decision, matches []triage.Match) Item {
	it := Item{Size: fp.Size, MIME: fp.Type.MIME, Kind: fp.Type.Kind.String(), Width: fp.Width, Height: fp.Height,
		Verdict: string(d.Verdict), Reason: d.Reason, Matches: []Match{}}
	if !d.Category.IsZero() {
		it.Category, it.CategoryLabel = d.Category.String(), d.Category.Label()
	}
	for _, m := range d.AlsoKnownGood {
		if !slices.Contains(it.AlsoKnownGood, m.Set) {
			it.AlsoKnownGood = append(it.AlsoKnownGood, m.Set)
		}
	}
	if fp.Err != nil {
		it.Error = hexp(triage.ErrorMessage(fp.Err))
	}
	if fp.Type.MIME != "" { // something was read
		if !fp.MD5.IsZero() {
			it.MD5 = hexp(fp.MD5.String())
		}
		if !fp.SHA1.IsZero() {
			it.SHA1 = hexp(fp.SHA1.String())
		}
		if !fp.SHA256.IsZero() {
			it.SHA256 = hexp(fp.SHA256.String())
		}
	} else {
		it.Kind = ""
	}
	if fp.Perceptual {
		it.PDQ, it.PHash, it.DHash = hexp(fp.PDQ.String()), hexp(fp.PHash.String()), hexp(fp.DHash.String())
		q := fp.PDQQuality
		it.PDQQuality = &q
	}
	if v := fp.Video; v != nil {
		it.Video = &Video{Codec: v.Codec, Duration: round3(v.Duration), FPS: round3(v.FPS), Rotation: v.Rotation,
			FramesHashed: len(fp.Frames), FramesInformative: v.Informative, Sheet: v.Sheet}
	}
	ms := slices.Clone(matches)
	slices.SortStableFunc(ms, func(a, b triage.Match) int {
		return cmp.Or(cmp.Compare(rankAlgo(a.Algo), rankAlgo(b.Algo)), cmp.Compare(a.Distance, b.Distance),
			strings.Compare(a.Set, b.Set), cmp.Compare(a.Entry, b.Entry))
	})
	if len(ms) > MaxMatches {
		it.MatchesOmitted = len(ms) - MaxMatches
		ms = ms[:MaxMatches]
	}
	for _, m := range ms {
		rm := Match{Set: m.Set, SetVersion: m.SetVersion, SetKind: string(m.SetKind), Entry: m.Entry, EntryID: m.EntryID,
			Algorithm: m.Algo.String(), Distance: m.Distance, Series: m.Series,
			Timestamps: m.Timestamps, QueryPercent: m.QueryPercent, TargetPercent: m.TargetPercent}
		if m.Dihedral > 0 && m.Dihedral < len(dihedralNames) {
			rm.Transform = dihedralNames[m.Dihedral]
		}
		if !m.Category.IsZero() {
			rm.Category, rm.CategoryLabel = m.Category.String(), m.Category.Label()
		}
		it.Matches = append(it.Matches, rm)
	}
	return it
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// rankAlgo orders exact digests (MD5, SHA-1, SHA-256, as the rules cite
// them) before perceptual hashes.
func rankAlgo(a triage.Algo) int {
	switch a {
	case triage.AlgoMD5:
		return 0
	case triage.AlgoSHA1:
		return 1
	case triage.AlgoSHA256:
		return 2
	}
	return 3
}
