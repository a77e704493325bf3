package triage

import (
	"image"
	"time"
)

// Fingerprint is everything the hashing engine learns about one file.
type Fingerprint struct {
	Size int64
	Digests
	Type MediaType
	// Width and Height are the image's own dimensions, whatever resolution
	// was hashed; zero when the file was not decoded.
	Width, Height int
	// Perceptual reports whether the perceptual hashes below were computed.
	Perceptual bool
	// Partial is true when they were computed from part of the picture: a
	// JPEG cut short, hashed from the rows its data holds (Width and
	// Height stay the declared size). A partial picture is never "known"
	// by its perceptual hashes, at most a variant.
	Partial     bool
	PDQ         PDQ
	PDQQuality  int
	PDQDihedral [8]PDQ // orig, rot90, rot180, rot270, flipx, flipy, flipp, flipm
	PHash       PHash
	DHash       DHash
	AHash       AHash
	// PHashDihedral are the pHashes of the 8 dihedral transforms, in the
	// order of PDQDihedral (element 0 is PHash); computed with PDQDihedral
	// and PHash.
	PHashDihedral [8]PHash
	// Views are other views of the image, hashed for matching only: the
	// content inside a uniform border, a guess at the whole of a cropped
	// image, a small rotation undone, the picture between caption bands,
	// the tiles of a collage (see View). The hashes above stay the whole
	// image's.
	Views []View
	// Regions are the hashes of parts of the image that a hash set built
	// from it indexes (Entry.Regions); computed when the Hasher is asked
	// for them (hashing.Options.Regions).
	Regions []Region
	// Keypoints are the image's local features (Entry.Keypoints), for
	// sets built from media and for queries against sets that carry
	// them; computed when the Hasher is asked for them
	// (hashing.Options.Keypoints).
	Keypoints []Keypoint
	// Decoder names the decoder that produced the pixels, e.g. "libjpeg-turbo 1/4".
	Decoder string
	// Err is the per-item error: nil, or why something could not be computed.
	// Digests are valid whenever Size bytes were read, even with an Err.
	Err   error
	Times StageTimes
	// Thumb is a small grayscale thumbnail of an image hashed perceptually,
	// when HasherOptions.ThumbSide asks for one; for a video, its contact
	// sheet (Video.Sheet says which frames it shows).
	Thumb *image.Gray
	// Frames are a video's vPDQ features, one per sampled frame in frame
	// order (AlgoVPDQ); Video describes the video. Both are nil for other
	// files.
	Frames []FrameHash
	Video  *VideoInfo
}

// FrameHash is one sampled frame of a video as Meta's vPDQ hashes it: its
// index among decoded frames (from 0), the PDQ hash and quality of the
// full-resolution frame, and its time in seconds (index / fps).
type FrameHash struct {
	Frame     int
	Quality   int
	PDQ       PDQ
	Timestamp float64
}

// VideoInfo is what the hashing engine learns about a video besides its
// frames.
type VideoInfo struct {
	Codec    string
	Duration float64 // seconds, 0 when the container does not say
	FPS      float64 // the rate vPDQ samples by
	// Rotation is the display rotation the container asks for, in degrees;
	// frames are hashed as stored, as vPDQ does.
	Rotation int
	// Informative counts the frames kept for matching and grouping, after
	// dropping black, flat and repeated ones.
	Informative int
	// Sheet describes the contact sheet in Fingerprint.Thumb.
	Sheet *ContactSheet
}

// ContactSheet is the layout of a video's contact sheet: Frames, left to
// right and top to bottom, in a grid of Columns, each in a cell of
// CellWidth x CellHeight pixels, Gutter pixels apart.
type ContactSheet struct {
	Columns    int        `json:"columns"`
	Rows       int        `json:"rows"`
	CellWidth  int        `json:"cell_width"`
	CellHeight int        `json:"cell_height"`
	Gutter     int        `json:"gutter"`
	Frames     []FrameRef `json:"frames"`
}

// FrameRef names one frame of a video.
type FrameRef struct {
	Frame     int     `json:"frame"`
	Timestamp float64 `json:"timestamp"`
}

// ViewKind names a derived view of an image.
type ViewKind string

// The views the Hasher derives.
const (
	// ViewTrimmed is the content inside a uniform border: letterboxing,
	// padding, a screenshot's plain canvas, a frame (see trim.go). Only
	// images with a meaningful border have one.
	ViewTrimmed ViewKind = "trimmed"
	// ViewUncropped is the image padded back by mirroring its edges, 1/18
	// of each side (so an image cropped by 5% on every side regains its
	// original geometry): a guess at the original of a cropped copy. Every
	// image has one.
	ViewUncropped ViewKind = "uncropped"
	// ViewDeskewed is the picture of an image rotated by a few degrees on
	// a flat canvas, rotated back (see deskew.go) and trimmed of the fill
	// around it. Only images with such a canvas have one; those with fill
	// all around have two, trimmed and not.
	ViewDeskewed ViewKind = "deskewed"
	// ViewBanded is the picture between caption bands: rows of a flat
	// colour with text on them at the top and bottom (a meme's captions,
	// a site's banner). Only images with such a band have one.
	ViewBanded ViewKind = "banded"
	// ViewTile is one tile of a collage: a part of the image that
	// straight seams cut it into. An image may have several.
	ViewTile ViewKind = "tile"
)

// Partial reports whether a view shows only part of what the image shows
// besides flat borders (ViewBanded, ViewTile): a match of it says that
// part is a known image, not that the file is one.
func (k ViewKind) Partial() bool { return k == ViewBanded || k == ViewTile }

// View is one derived view of an image and its perceptual hashes. The
// Matcher queries views as well as the whole image, so a padded,
// screenshotted or cropped copy still matches its original; the set's
// rules say which views count (SetRules). Views have no rotated hashes:
// a copy both rotated by 90 degrees and padded is rare, and every variant
// queried costs a search of every set; the uncropped view alone also
// comes mirrored (a second View with Mirrored set), for copies mirrored
// and cropped.
type View struct {
	Kind ViewKind
	// Rect is the part of the image the view shows, in the image's own
	// pixel coordinates (for ViewUncropped and ViewDeskewed, the whole
	// image).
	Rect image.Rectangle
	// Angle is the rotation ViewDeskewed undid, in degrees counter-clockwise.
	Angle float64
	// Mirrored: the hashes are of the view's mirror image (left/right),
	// for copies mirrored as well as cropped; only ViewUncropped has one.
	Mirrored   bool
	PDQ        PDQ
	PDQQuality int
	PHash      PHash // zero when pHash is not computed
}

// View returns the view of that kind, or nil.
func (fp *Fingerprint) View(kind ViewKind) *View {
	for i := range fp.Views {
		if fp.Views[i].Kind == kind {
			return &fp.Views[i]
		}
	}
	return nil
}

// StageTimes is the time one item spent in each stage. Digest runs
// concurrently with Decode and Hash, so the stages overlap in wall time.
type StageTimes struct {
	Read   time.Duration // reading the file (for streamed files, read + digest)
	Digest time.Duration // MD5/SHA-1/SHA-256 over an in-memory buffer
	Decode time.Duration // header check and pixel decode, luma conversion
	Hash   time.Duration // PDQ, pHash, dHash, aHash
}

// Add accumulates o into t.
func (t *StageTimes) Add(o StageTimes) {
	t.Read += o.Read
	t.Digest += o.Digest
	t.Decode += o.Decode
	t.Hash += o.Hash
}
