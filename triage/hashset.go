package triage

import (
	"errors"
	"fmt"
	"image"
	"strings"
)

// SetKind says what a match on a hash-set entry means.
type SetKind string

// Set kinds.
const (
	SetKindAlert     SetKind = "alert"      // known material: a match is "known" or "variant"
	SetKindKnownGood SetKind = "known-good" // known-benign (NSRL and the like): a match is "ignorable"
	// SetKindMixed describes a whole set whose entries are of both kinds
	// (an NSRL list compiled with a VICS export); an entry is never mixed.
	SetKindMixed SetKind = "mixed"
)

// Valid reports whether k is the kind of an entry: alert or known-good.
func (k SetKind) Valid() bool { return k == SetKindAlert || k == SetKindKnownGood }

// ParseSetKind parses "alert" or "known-good".
func ParseSetKind(s string) (SetKind, error) {
	if k := SetKind(s); k.Valid() {
		return k, nil
	}
	return "", Errorf(EINVALID, "hash set kind %q: want %s or %s", s, SetKindAlert, SetKindKnownGood)
}

// Entry is one record of a hash set: the hashes that identify one piece of
// content, and what the set's source says about it. Readers fill in what
// their format carries and keep every other field verbatim in Extra, so
// that nothing a source said is lost.
type Entry struct {
	MD5    MD5
	SHA1   SHA1
	SHA256 SHA256
	PDQ    PDQ
	PHash  PHash
	// Algos says which of the hashes above are present.
	Algos AlgoSet
	// PDQQuality is the PDQ quality (0-100) when the source gives it, else -1.
	PDQQuality int
	// PhotoDNA is a PhotoDNA hash exactly as the source spelled it (base64
	// or hex). Winnow does not compute PhotoDNA; it carries it through.
	PhotoDNA string

	// Size is the file size in bytes, or -1 when unknown.
	Size int64
	// Name is the file name or path the source records, if any.
	Name string
	// ID is the source's own record identifier (VICS MediaID, NCMEC id,
	// NSRL product code, ...), if any.
	ID string
	// Kind says what a match on the entry means: alert (known material)
	// or known-good. It belongs to the entry's source (an NSRL record is
	// known-good whatever it is compiled with); "" means the source does
	// not say, and the builder decides (see setfile.Builder.Add).
	Kind SetKind
	// Category is the classification, in a named scheme; zero means
	// uncategorised.
	Category Category
	// Series is the series (victim or set of images) the source assigns.
	Series string
	Tags   []string
	Flags  EntryFlags
	// Extra holds every other field of the source record, keyed by the
	// source's field name; nested values are kept as JSON text.
	Extra map[string]string

	// Pos is the 1-based line or record number of the entry in its source,
	// for error messages and provenance.
	Pos int64

	// Regions are hashes of parts of the image, indexed besides the
	// whole image's so that a crop of it matches (see Region). Only sets
	// built from media have them; hash lists (VICS, NCMEC, HMA) carry
	// none.
	Regions []Region
	// Keypoints are the image's local features (see Keypoint), verified
	// geometrically against a query's so that a copy cropped, mirrored or
	// slightly rotated still matches where every region's hash is far. Only
	// sets built from media have them.
	Keypoints []Keypoint
}

// MaxKeypoints bounds Entry.Keypoints.
const MaxKeypoints = 255

// Keypoint is one local feature of an image: a blob found in scale space
// on the luma plane scaled to a fixed working size, with a 64-bit
// descriptor (the signs of the low-frequency DCT coefficients of the
// patch around it, scaled to its size) and where it is. Package keypoint
// computes and verifies them. A match through keypoints says that part
// of the query shows the known image, placed consistently (the same
// similarity transform for every feature): it makes a variant, never
// known.
type Keypoint struct {
	// X and Y are the position in 1/255 of the image's longer side, from
	// its top left corner.
	X, Y uint8
	// Scale is the feature's size: 16 log2 of its sigma in pixels of an
	// image whose longer side is 256.
	Scale uint8
	// Angle is the feature's orientation (its patch's dominant gradient
	// direction), in 1/256 of a turn counter-clockwise from the x axis
	// (y pointing down): the patch is described turned by it, so that a
	// slightly rotated copy gives the same bits.
	Angle uint8
	Desc  uint64
}

// Region is a part of a known image hashed on its own: a copy cropped to
// that part matches the region's hashes where the whole image's are far
// (PDQ moves by about 90 bits when 10% of every side goes). A match
// through a region says the query shows part of the known image: it
// counts only when PDQ and pHash of the region agree, and makes a
// variant, never known.
type Region struct {
	Kind       RegionKind
	PDQ        PDQ
	PDQQuality int
	PHash      PHash
}

// RegionKind names which part of an image a Region is.
type RegionKind uint8

// The regions a known image is indexed by.
const (
	// RegionCentre is the centre 80% of the width and height: the image
	// with 10% cut off every side.
	RegionCentre RegionKind = 1
)

// Rect returns the part of a w x h image the region covers.
func (k RegionKind) Rect(w, h int) image.Rectangle {
	switch k {
	case RegionCentre:
		return image.Rect(w/10, h/10, w-w/10, h-h/10)
	}
	return image.Rectangle{}
}

// String returns the region's name ("centre"), "" for none.
func (k RegionKind) String() string {
	switch k {
	case RegionCentre:
		return "centre"
	case 0:
		return ""
	}
	return fmt.Sprintf("region %d", uint8(k))
}

// Valid reports whether k is a known region.
func (k RegionKind) Valid() bool { return k == RegionCentre }

// NewEntry returns an empty entry with the unknown markers set.
func NewEntry() Entry { return Entry{PDQQuality: -1, Size: -1} }

// KindIn returns the kind the entry has in a set of kind setKind: its own
// Kind when its source said; else known-good when its category is
// ignorable (VICS non-pertinent, NIST's CAID-format known-good sets) or the
// set is known-good; else alert.
func (e *Entry) KindIn(setKind SetKind) SetKind {
	switch {
	case e.Kind != "":
		return e.Kind
	case e.Category.Ignorable(), setKind == SetKindKnownGood:
		return SetKindKnownGood
	}
	return SetKindAlert
}

// HasHash reports whether the entry carries at least one hash Winnow can match on.
func (e *Entry) HasHash() bool { return e.Algos&(AlgosCrypto|AlgoSet(AlgoPDQ|AlgoPHash)) != 0 }

// SetExtra records a source field that has no place of its own.
func (e *Entry) SetExtra(key, value string) {
	if e.Extra == nil {
		e.Extra = map[string]string{}
	}
	e.Extra[key] = value
}

// Validate reports an entry that cannot be imported.
func (e *Entry) Validate() error {
	if !e.HasHash() {
		return Errorf(EINVALID, "no usable hash")
	}
	if e.Algos.Has(AlgoMD5) && e.MD5 == emptyMD5 || e.Algos.Has(AlgoSHA1) && e.SHA1 == emptySHA1 ||
		e.Algos.Has(AlgoSHA256) && e.SHA256 == emptySHA256 {
		return Errorf(EINVALID, "hash of the empty file: it matches every zero-byte file")
	}
	if e.Kind != "" && !e.Kind.Valid() {
		return Errorf(EINVALID, "entry kind %q: want %s or %s", e.Kind, SetKindAlert, SetKindKnownGood)
	}
	if e.PDQQuality > 100 || e.PDQQuality < -1 {
		return Errorf(EINVALID, "PDQ quality %d out of range 0-100", e.PDQQuality)
	}
	if len(e.Keypoints) > MaxKeypoints {
		return Errorf(EINVALID, "%d keypoints, over the %d an entry may have", len(e.Keypoints), MaxKeypoints)
	}
	for _, r := range e.Regions {
		if !r.Kind.Valid() {
			return Errorf(EINVALID, "unknown region kind %d", r.Kind)
		}
		if r.PDQQuality > 100 || r.PDQQuality < 0 {
			return Errorf(EINVALID, "region %s: PDQ quality %d out of range 0-100", r.Kind, r.PDQQuality)
		}
	}
	return nil
}

// Digests of the empty input, which a hash set must never match on.
var (
	emptyMD5    = MD5{0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04, 0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e}
	emptySHA1   = SHA1{0xda, 0x39, 0xa3, 0xee, 0x5e, 0x6b, 0x4b, 0x0d, 0x32, 0x55, 0xbf, 0xef, 0x95, 0x60, 0x18, 0x90, 0xaf, 0xd8, 0x07, 0x09}
	emptySHA256 = SHA256{0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55}
)

// EntryFlags are the yes/no facts hash-set sources record about content.
type EntryFlags uint16

// Entry flags, named after their VICS fields.
const (
	FlagVictimIdentified EntryFlags = 1 << iota
	FlagOffenderIdentified
	FlagDistributed
	FlagPrecategorized
	FlagSuspected
	FlagBaseline // INTERPOL "baseline": material illegal in every member country (not known-good)
)

var flagNames = []struct {
	f    EntryFlags
	name string
}{
	{FlagVictimIdentified, "victim-identified"},
	{FlagOffenderIdentified, "offender-identified"},
	{FlagDistributed, "distributed"},
	{FlagPrecategorized, "precategorized"},
	{FlagSuspected, "suspected"},
	{FlagBaseline, "baseline"},
}

// Has reports whether f includes g.
func (f EntryFlags) Has(g EntryFlags) bool { return f&g != 0 }

// String lists the flags, comma-separated.
func (f EntryFlags) String() string {
	var s []string
	for _, n := range flagNames {
		if f.Has(n.f) {
			s = append(s, n.name)
		}
	}
	return strings.Join(s, ",")
}

// ParseEntryFlags parses a comma-separated list of flag names.
func ParseEntryFlags(s string) (EntryFlags, error) {
	var f EntryFlags
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		found := false
		for _, n := range flagNames {
			if n.name == name {
				f |= n.f
				found = true
			}
		}
		if !found {
			return 0, Errorf(EINVALID, "unknown flag %q", name)
		}
	}
	return f, nil
}

// EntryReader streams the entries of one hash-set source.
type EntryReader interface {
	// Next returns the next entry, or io.EOF after the last one. A malformed
	// record gives a *RecordError; the reader stays usable and the next call
	// continues with the following record. Any other error is fatal.
	Next() (Entry, error)
}

// RecordError is a malformed record in a hash-set source: where it is and
// what is wrong. Imports report it and go on.
type RecordError struct {
	Pos   int64  // 1-based line or record number
	Field string // the offending field, if known
	Err   error
}

// Error implements error.
func (e *RecordError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("record %d: %s: %v", e.Pos, e.Field, e.Err)
	}
	return fmt.Sprintf("record %d: %v", e.Pos, e.Err)
}

// Unwrap returns the cause.
func (e *RecordError) Unwrap() error { return e.Err }

// IsRecordError reports whether err is a skippable per-record error.
func IsRecordError(err error) bool {
	var re *RecordError
	return errors.As(err, &re)
}

// ImportStats counts what an import did with its source records.
type ImportStats struct {
	Read      int64 `json:"read"`      // records seen
	Imported  int64 `json:"imported"`  // entries added
	Duplicate int64 `json:"duplicate"` // records identical to an earlier one, merged
	Rejected  int64 `json:"rejected"`  // malformed records, skipped
}

// String summarises the counts.
func (s ImportStats) String() string {
	return fmt.Sprintf("%d read, %d imported, %d duplicate, %d rejected", s.Read, s.Imported, s.Duplicate, s.Rejected)
}
