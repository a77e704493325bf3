package triage

import (
	"fmt"
	"strings"
)

// Algo names one hash algorithm.
type Algo uint16

// The algorithms Winnow computes.
const (
	AlgoMD5 Algo = 1 << iota
	AlgoSHA1
	AlgoSHA256
	AlgoPDQ
	AlgoPDQDihedral // the 8 dihedral PDQ hashes (rotations and flips)
	AlgoPHash
	AlgoDHash
	AlgoAHash
	AlgoVPDQ // Meta's vPDQ: PDQ of a video's frames, one per interval
	// AlgoKeypoints names matches through local features (Entry.Keypoints,
	// package keypoint) in Match.Algo. It is no hash: requesting it
	// computes nothing (hashing.Options.Keypoints does), and no named set
	// of algorithms holds it.
	AlgoKeypoints
)

var algoNames = []struct {
	a    Algo
	name string
}{
	{AlgoMD5, "md5"}, {AlgoSHA1, "sha1"}, {AlgoSHA256, "sha256"},
	{AlgoPDQ, "pdq"}, {AlgoPDQDihedral, "pdq-dihedral"},
	{AlgoPHash, "phash"}, {AlgoDHash, "dhash"}, {AlgoAHash, "ahash"},
	{AlgoVPDQ, "vpdq"}, {AlgoKeypoints, "keypoints"},
}

// String returns the algorithm's name as used on the command line.
func (a Algo) String() string {
	for _, n := range algoNames {
		if n.a == a {
			return n.name
		}
	}
	return fmt.Sprintf("algo(%d)", uint16(a))
}

// AlgoSet is a set of algorithms.
type AlgoSet uint16

// Algorithm sets with names.
const (
	AlgosCrypto     = AlgoSet(AlgoMD5 | AlgoSHA1 | AlgoSHA256)
	AlgosPerceptual = AlgoSet(AlgoPDQ | AlgoPDQDihedral | AlgoPHash | AlgoDHash | AlgoAHash | AlgoVPDQ)
	// AlgosDefault is what `winnow hash` computes unless told otherwise.
	AlgosDefault = AlgosCrypto | AlgoSet(AlgoPDQ|AlgoPHash|AlgoDHash)
	// AlgosMatch is what matching against hash sets needs: the defaults
	// and the dihedral hashes, so that rotated and mirrored copies match.
	// Scans and the lab service hash with it; it includes vPDQ, so videos
	// are decoded and their frames matched.
	AlgosMatch = AlgosDefault | AlgoSet(AlgoPDQDihedral|AlgoVPDQ)
	AlgosAll   = AlgosCrypto | AlgosPerceptual
)

// Has reports whether a is in the set.
func (s AlgoSet) Has(a Algo) bool { return s&AlgoSet(a) != 0 }

// Perceptual reports whether the set needs decoded pixels.
func (s AlgoSet) Perceptual() bool { return s&AlgosPerceptual != 0 }

// Image reports whether the set needs an image's pixels (a perceptual
// hash other than vPDQ, which is for videos).
func (s AlgoSet) Image() bool { return s&(AlgosPerceptual&^AlgoSet(AlgoVPDQ)) != 0 }

// String lists the set's names, comma-separated, in a fixed order.
func (s AlgoSet) String() string {
	var names []string
	for _, n := range algoNames {
		if s.Has(n.a) {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ",")
}

// ParseAlgoSet parses a comma-separated list of algorithm names. "all",
// "default", "crypto" and "perceptual" name groups.
func ParseAlgoSet(list string) (AlgoSet, error) {
	var s AlgoSet
	for _, f := range strings.Split(list, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch f {
		case "":
			continue
		case "all":
			s |= AlgosAll
			continue
		case "default":
			s |= AlgosDefault
			continue
		case "crypto":
			s |= AlgosCrypto
			continue
		case "perceptual":
			s |= AlgosPerceptual
			continue
		case "sha-1":
			f = "sha1"
		case "sha-256":
			f = "sha256"
		case "pdq8", "pdqdih":
			f = "pdq-dihedral"
		}
		found := false
		for _, n := range algoNames {
			if n.name == f {
				s |= AlgoSet(n.a)
				found = true
			}
		}
		if !found {
			return 0, Errorf(EINVALID, "unknown algorithm %q (known: %s, or all, default, crypto, perceptual)", f, AlgosAll)
		}
	}
	if s == 0 {
		return 0, Errorf(EINVALID, "no algorithm given")
	}
	return s, nil
}
