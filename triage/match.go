package triage

// Match is one hash-set entry that a fingerprint matched, with full
// provenance: which set (name, version, kind), which entry, on which
// algorithm, at what distance, and the entry's category.
type Match struct {
	Set        string
	SetVersion string
	// SetKind is the kind of the entry matched (alert or known-good): in
	// a mixed set it differs from entry to entry.
	SetKind SetKind
	// Entry is the entry's index in its set; EntryID the source's own
	// record id (VICS MediaID and the like).
	Entry   int
	EntryID string
	Algo    Algo
	// Distance is the Hamming distance; 0 for the cryptographic digests;
	// for AlgoKeypoints, the number of local features that agree (the
	// inliers of the geometric verification: more is closer).
	Distance int
	// Dihedral is the transform of the query that matched (0 = as is,
	// 1-7 = rot90, rot180, rot270, flipx, flipy, flipp, flipm, as in
	// DihedralNames).
	Dihedral int
	// View is the derived view of the query that matched (Fingerprint.Views),
	// or "" for the whole image.
	View ViewKind
	// Region is the region of the entry that matched (Entry.Regions), or 0
	// for the whole image (and for AlgoKeypoints matches, which say how
	// much of the image agrees by their Distance).
	Region RegionKind
	// Borderline: the distance is beyond the set's radius for Algo but
	// within its borderline zone, and the match counts because the other
	// perceptual algorithm matched the same entry too (see AlgoRule).
	Borderline bool
	Category   Category
	Series     string
	// Timestamps: when a video's frames matched a still (Algo PDQ), the
	// times in seconds at which they appear, ascending (the first frame of
	// each run of matching frames, at most MaxTimestamps).
	Timestamps []float64
	// QueryPercent and TargetPercent: for a video matched by vPDQ against a
	// video of the set (Algo AlgoVPDQ, Entry its first frame), the shares
	// of the query's and the target's frames that match (0-100).
	QueryPercent, TargetPercent float64
}

// MaxTimestamps bounds Match.Timestamps.
const MaxTimestamps = 32

// DihedralNames names the dihedral transforms by Match.Dihedral, in the
// order of Fingerprint.PDQDihedral.
var DihedralNames = [8]string{"orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipp", "flipm"}
