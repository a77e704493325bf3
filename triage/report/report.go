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
	"github.com/winnow-forensics/winnow/triage/wire"
)

// FormatName and FormatVersion identify the report.json format. Version
// 2 writes items in the model the lab shares (package wire), which has
// every field of version 1 under the same name.
const (
	FormatName    = "winnow-scan-report"
	FormatVersion = wire.FormatVersion
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
	// CarvedUndecodable counts the carved candidates marked truncated
	// that no decoder read: failed validation by decoding, they are not
	// items (pipeline.Undecodable).
	CarvedUndecodable int `json:"carved_undecodable"`
}

// Item is one file: a file of the evidence or a member of an archive.
// What analysis says about it is the model the lab shares (wire.Item);
// the rest places it in the scan.
type Item struct {
	ID int `json:"id"`
	// Path (in wire.Item) is the file's path as scanned; a member of an
	// archive is the archive's path, "!/" and the member's path inside it
	// ("seizure/photos.zip!/holiday/img1.jpg", nested "a.zip!/b.tar!/c.jpg").
	// InnerPath is the member's path inside the outermost archive, and
	// RawName a member's name exactly as its archive stores it
	// (Go-quoted), when it had to be sanitised for Path.
	wire.Item
	// OuterPath is the file on the evidence (the outermost archive for a
	// member).
	OuterPath string     `json:"outer_path"`
	Modified  *time.Time `json:"modified,omitempty"`
	// MatchesOmitted counts the matches beyond MaxMatches, which
	// Matches leaves out.
	MatchesOmitted int `json:"matches_omitted,omitempty"`
	// Archive is set for an item that is an archive or disk image Winnow
	// expanded, with the number of members found directly inside it.
	Archive *ArchiveInfo `json:"archive,omitempty"`
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
type Match = wire.Match

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

// NewItem fills an item's content fields from its fingerprint, its
// decision and its matches; the caller sets the paths.
func NewItem(fp *triage.Fingerprint, d triage.Decision, matches []triage.Match) Item {
	it := Item{Item: wire.Item{Size: fp.Size, MIME: fp.Type.MIME, Kind: fp.Type.Kind.String(), Width: fp.Width, Height: fp.Height,
		Verdict: d.Verdict, Reason: d.Reason, Matches: []Match{}}}
	it.SetCategory(d.Category)
	for _, m := range d.AlsoKnownGood {
		it.AddAlsoKnownGood(m.Set)
	}
	if fp.Err != nil {
		it.Error = wire.Opt(triage.ErrorMessage(fp.Err))
	}
	if fp.Type.MIME != "" { // something was read
		if !fp.MD5.IsZero() {
			it.MD5 = wire.Opt(fp.MD5.String())
		}
		if !fp.SHA1.IsZero() {
			it.SHA1 = wire.Opt(fp.SHA1.String())
		}
		if !fp.SHA256.IsZero() {
			it.SHA256 = wire.Opt(fp.SHA256.String())
		}
	} else {
		it.Kind = ""
	}
	if fp.Perceptual {
		it.PDQ, it.PHash, it.DHash = wire.Opt(fp.PDQ.String()), wire.Opt(fp.PHash.String()), wire.Opt(fp.DHash.String())
		q := fp.PDQQuality
		it.PDQQuality, it.Partial = &q, fp.Partial
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
		it.Matches = append(it.Matches, wire.MatchOf(m))
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
