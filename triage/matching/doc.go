// Package matching finds the hash-set entries a fingerprint matches and
// decides its verdict.
//
// A Matcher holds compiled sets (package setfile) in memory: exact indexes
// for the digests and Hamming-distance indexes (package index) for PDQ and
// pHash. It queries the whole image, its rotations and flips and its
// derived views, as each set's Rules allow, and lets a borderline PDQ
// match count when pHash agrees on the same entry (and the reverse).
// Matches of a part of the image (a collage tile, the picture between
// caption bands) count only in such agreement, and make a variant at
// most. Sets built from media also carry each image's local features
// (package keypoint); a query's features are paired with theirs through
// a Hamming index and verified geometrically, which finds crops that no
// hash of a fixed region survives (a variant at most too).
// Rules.Decide turns the matches into a triage.Decision: known, variant,
// ignorable or new, and why. winnow scan and the lab's worker use the same
// Matcher and Rules, so both give the same verdicts.
package matching
