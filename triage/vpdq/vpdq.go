// Package vpdq is Meta's vPDQ video hash: the PDQ hash and quality of
// sampled frames, and the rule that compares two videos by the share of
// their frames that match.
//
// Hashing follows the reference C++ tool (vpdq-hash-video): a frame is
// hashed when its index, counting decoded frames from 0, is a multiple of
// int(seconds_per_hash × fps) (package video samples them so); the
// full-resolution RGB frame, not rotated, goes to PDQ with quality; the
// timestamp is index / fps. The text form is the reference's
// "frame,quality,hash,timestamp" line.
//
// Matching follows the reference rule: frames with quality below a floor
// (50) are ignored, a frame matches when some frame of the other video is
// within a distance (31) of it, and the result is two percentages, of the
// query's frames that match and of the target's. The two reference
// implementations differ in two details, both offered (Convention):
//
//   - C++ (matchTwoHashBrute): every kept frame counts, duplicates
//     included; a match is a distance strictly below the threshold.
//   - Python (python-threatexchange, HMA, the README's pseudocode): exact
//     duplicate hashes are counted once (the first occurrence is kept,
//     before the quality filter), and a match is a distance at most the
//     threshold.
//
// Winnow follows the Python convention by default, as HMA deployments
// and the ThreatExchange vPDQ signal do; thresholds are per hash set.
package vpdq

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"image"
	"io"
	"strconv"
	"strings"

	"github.com/winnow-forensics/winnow/triage/pdq"
)

// Feature is one hashed frame.
type Feature struct {
	Frame     int      // index among decoded frames, from 0
	Quality   int      // PDQ quality, 0..100
	PDQ       pdq.Hash // the frame's PDQ hash
	Timestamp float64  // seconds
}

// Hasher hashes frames. It reuses its buffers: one Hasher per goroutine.
type Hasher struct {
	pdq  pdq.Hasher
	luma []float32
}

// Hash returns the feature of one frame, whose pixels are taken as they are
// (full resolution, no rotation).
func (h *Hasher) Hash(img image.Image, frame int, timestamp float64) Feature {
	b := img.Bounds()
	h.luma = pdq.Luma(img, h.luma)
	hash, q := h.pdq.Hash(h.luma, b.Dx(), b.Dy())
	return Feature{Frame: frame, Quality: q, PDQ: hash, Timestamp: timestamp}
}

// maxLine bounds one line of a vPDQ text file.
const maxLine = 1024

// Parse reads reference vPDQ lines, "frame,quality,hash,timestamp", one
// feature a line; blank lines are skipped. maxFeatures bounds the result.
func Parse(r io.Reader, maxFeatures int) ([]Feature, error) {
	var out []Feature
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, maxLine), maxLine)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f, err := ParseLine(line)
		if err != nil {
			return nil, fmt.Errorf("vpdq: line %d: %w", n, err)
		}
		if len(out) >= maxFeatures {
			return nil, fmt.Errorf("vpdq: more than %d frames", maxFeatures)
		}
		out = append(out, f)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("vpdq: %w", err)
	}
	return out, nil
}

// ParseLine parses one "frame,quality,hash,timestamp" line.
func ParseLine(line string) (Feature, error) {
	parts := strings.Split(line, ",")
	if len(parts) != 4 {
		return Feature{}, fmt.Errorf("want frame,quality,hash,timestamp, got %d fields", len(parts))
	}
	var f Feature
	var err error
	if f.Frame, err = strconv.Atoi(parts[0]); err != nil || f.Frame < 0 {
		return Feature{}, fmt.Errorf("frame %q is not a count", parts[0])
	}
	if f.Quality, err = strconv.Atoi(parts[1]); err != nil || f.Quality < 0 || f.Quality > 100 {
		return Feature{}, fmt.Errorf("quality %q is not 0..100", parts[1])
	}
	if len(parts[2]) != 64 {
		return Feature{}, fmt.Errorf("hash %q is not 64 hex digits", parts[2])
	}
	if _, err := hex.Decode(f.PDQ[:], []byte(parts[2])); err != nil {
		return Feature{}, fmt.Errorf("hash %q is not 64 hex digits", parts[2])
	}
	if f.Timestamp, err = strconv.ParseFloat(parts[3], 64); err != nil || f.Timestamp < 0 {
		return Feature{}, fmt.Errorf("timestamp %q is not seconds", parts[3])
	}
	return f, nil
}

// String formats the feature as the reference tools do.
func (f Feature) String() string {
	return fmt.Sprintf("%d,%d,%s,%.3f", f.Frame, f.Quality, f.PDQ, f.Timestamp)
}

// Convention is one of the reference implementations' matching rules.
type Convention int

// The conventions (see the package documentation).
const (
	Python Convention = iota // dedupe, distance <= threshold: the default
	CPP                      // no dedupe, distance < threshold
)

// Rule is the comparison of two videos.
type Rule struct {
	// Distance is the PDQ distance within which two frames match (31);
	// Quality is the floor below which frames are ignored (50).
	Distance, Quality int
	// QueryPercent and TargetPercent are the shares of frames that must
	// match for the videos to match (80 and 0, HMA's defaults).
	QueryPercent, TargetPercent float64
	Convention                  Convention
}

// DefaultRule is the reference's: distance 31, quality 50, the Python
// convention, a match when 80% of the query's frames match.
var DefaultRule = Rule{Distance: 31, Quality: 50, QueryPercent: 80, TargetPercent: 0}

// Result is the comparison of a query video with a target.
type Result struct {
	QueryPercent, TargetPercent float64
	// Match reports whether both percentages reach the rule's.
	Match bool
}

// Compare compares query with target under r.
func (r Rule) Compare(query, target []Feature) Result {
	q, t := r.kept(query), r.kept(target)
	qp := percent(r.matched(q, t), len(q))
	tp := percent(r.matched(t, q), len(t))
	return Result{qp, tp, len(q) > 0 && len(t) > 0 && qp >= r.QueryPercent && tp >= r.TargetPercent}
}

// Kept returns the hashes of fs that take part in a comparison: of frames
// of quality at least r.Quality, each distinct hash once under the Python
// convention (the first occurrence decides).
func (r Rule) Kept(fs []Feature) []pdq.Hash { return r.kept(fs) }

func (r Rule) kept(fs []Feature) []pdq.Hash {
	out := make([]pdq.Hash, 0, len(fs))
	var seen map[pdq.Hash]bool
	if r.Convention == Python {
		seen = make(map[pdq.Hash]bool, len(fs))
	}
	for _, f := range fs {
		if seen != nil {
			if seen[f.PDQ] {
				continue
			}
			seen[f.PDQ] = true
		}
		if f.Quality >= r.Quality {
			out = append(out, f.PDQ)
		}
	}
	return out
}

// matched counts the hashes of a that match some hash of b.
func (r Rule) matched(a, b []pdq.Hash) int {
	limit := r.Distance
	if r.Convention == CPP {
		limit-- // strictly below
	}
	n := 0
	for _, x := range a {
		for _, y := range b {
			if pdq.Distance(x, y) <= limit {
				n++
				break
			}
		}
	}
	return n
}

func percent(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) * 100 / float64(of)
}

// Low-information frames: what Informative drops by default.
const (
	// MinQuality is the PDQ quality below which a frame is too flat to
	// match on (black frames, fades, plain titles): the reference's 50.
	MinQuality = 50
	// NearDuplicate is the distance within which a frame repeats the
	// previous informative one (a still scene, a slide held on screen).
	NearDuplicate = 10
)

// Informative returns the features worth matching and grouping on: of
// quality at least minQuality, and more than nearDup bits from the last
// feature kept. Black, flat and repeated frames match unrelated material
// (every black frame is every other black frame) and only add work.
func Informative(fs []Feature, minQuality, nearDup int) []Feature {
	var out []Feature
	flt := Filter{MinQuality: minQuality, NearDuplicate: nearDup}
	for _, f := range fs {
		if flt.Keep(f.Quality, f.PDQ) {
			out = append(out, f)
		}
	}
	return out
}

// Filter is Informative one frame at a time, for frames as they are hashed.
type Filter struct {
	MinQuality, NearDuplicate int
	last                      pdq.Hash
	kept                      bool
}

// Keep reports whether a frame of this quality and hash is informative,
// given the frames offered before it.
func (f *Filter) Keep(quality int, h pdq.Hash) bool {
	if quality < f.MinQuality || f.kept && pdq.Distance(f.last, h) <= f.NearDuplicate {
		return false
	}
	f.last, f.kept = h, true
	return true
}
