package keypoint

import (
	"math"
	"slices"

	"github.com/winnow-forensics/winnow/triage"
)

// Pair is a query feature and a known image's feature with close
// descriptors; QI and KI number them within their images (a feature
// counts once in a fit).
type Pair struct {
	Q, K   triage.Keypoint
	QI, KI int
}

// Fit is the outcome of geometric verification: the similarity that maps
// the known image's features onto the query's (scale, rotation in degrees
// counter-clockwise), how many pairs it maps within tolerance, each
// feature once (Inliers), and how far apart the inliers are in the query
// (Spread: the larger side of their bounding box, in 1/255 of the query's
// longer side).
type Fit struct {
	Inliers      int
	Scale, Angle float64
	Spread       int
	Mirrored     bool
}

const (
	// MaxPairs bounds the pairs Verify considers (the closest first is the
	// caller's choice): the cost is cubic in them.
	MaxPairs = 64
	// maxAngle is the rotation tolerated, in degrees: copies are cropped
	// and rotated by a few degrees, not turned (quarter turns are the
	// dihedral hashes' job).
	maxAngle = 12
	// minScale and maxScale bound the scale from the known image to the
	// query (positions in shares of each one's longer side).
	minScale, maxScale = 0.4, 2.5
	// scaleTol: a pair's own feature sizes agree with the fit's scale
	// within this factor.
	scaleTol = 1.6
	// posTol is how far, in 1/255 of the query's longer side, a mapped
	// feature may land from its pair.
	posTol = 5
	// angleTol: a pair's own orientations differ by the fit's rotation
	// within this many degrees.
	angleTol = 25
	// minBase: a hypothesis comes from two pairs at least this far apart
	// in the known image (closer ones give a poor angle and scale).
	minBase = 10
)

// MinSpread: the features of a fit span at least this much of the query
// (in 1/255 of its longer side), so that a match rests on more than one
// small detail.
const MinSpread = 51

// Verify finds the similarity (scale, translation, a small rotation)
// that maps the most pairs' known features onto their query features,
// each from one pair and checked on all; fits whose features span less
// than MinSpread do not count. With mirrored, the query's
// features are those of its mirror image (Mirror descriptors, and x
// negated here: the translation absorbs the width). Only the first
// MaxPairs pairs are used.
func Verify(pairs []Pair, mirrored bool) Fit {
	pairs = pairs[:min(len(pairs), MaxPairs)]
	type pt struct{ qx, qy, kx, ky, ratio, turn float64 }
	ps := make([]pt, len(pairs))
	for i, p := range pairs {
		qx, qa := float64(p.Q.X), p.Q.Angle
		if mirrored {
			qx, qa = -qx, MirrorAngle(qa)
		}
		ps[i] = pt{qx, float64(p.Q.Y), float64(p.K.X), float64(p.K.Y), math.Exp2((float64(p.Q.Scale) - float64(p.K.Scale)) / 16),
			float64(int8(qa-p.K.Angle)) * 360 / 256}
	}
	best := Fit{Mirrored: mirrored}
	usedQ := map[int]bool{}
	usedK := map[int]bool{}
	cosMax := math.Cos(maxAngle * math.Pi / 180)
	for a := range ps {
		for b := a + 1; b < len(ps); b++ {
			if pairs[a].QI == pairs[b].QI || pairs[a].KI == pairs[b].KI {
				continue
			}
			pa, pb := ps[a], ps[b]
			kdx, kdy := pb.kx-pa.kx, pb.ky-pa.ky
			qdx, qdy := pb.qx-pa.qx, pb.qy-pa.qy
			kl := math.Hypot(kdx, kdy)
			ql := math.Hypot(qdx, qdy)
			if kl < minBase || ql == 0 {
				continue
			}
			s := ql / kl
			if s < minScale || s > maxScale || !agrees(pa.ratio, s) || !agrees(pb.ratio, s) {
				continue
			}
			c := (kdx*qdx + kdy*qdy) / (kl * ql)
			if c < cosMax {
				continue
			}
			sn := (kdx*qdy - kdy*qdx) / (kl * ql)
			phi := math.Atan2(sn, c) * 180 / math.Pi
			if !turns(pa.turn, phi) || !turns(pb.turn, phi) {
				continue
			}
			// q = s R k + t
			m00, m01 := s*c, -s*sn
			m10, m11 := s*sn, s*c
			tx := pa.qx - (m00*pa.kx + m01*pa.ky)
			ty := pa.qy - (m10*pa.kx + m11*pa.ky)
			clear(usedQ)
			clear(usedK)
			n := 0
			minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
			for i, p := range ps {
				if usedQ[pairs[i].QI] || usedK[pairs[i].KI] || !agrees(p.ratio, s) || !turns(p.turn, phi) {
					continue
				}
				x := m00*p.kx + m01*p.ky + tx
				y := m10*p.kx + m11*p.ky + ty
				if dx, dy := x-p.qx, y-p.qy; dx*dx+dy*dy > posTol*posTol {
					continue
				}
				usedQ[pairs[i].QI], usedK[pairs[i].KI] = true, true
				n++
				minX, maxX = min(minX, p.qx), max(maxX, p.qx)
				minY, maxY = min(minY, p.qy), max(maxY, p.qy)
			}
			spread := int(max(maxX-minX, maxY-minY))
			if n > best.Inliers && spread >= MinSpread {
				best = Fit{Inliers: n, Scale: s, Angle: phi,
					Spread: spread, Mirrored: mirrored}
			}
		}
	}
	return best
}

// turns reports whether a pair's orientation difference (degrees, in
// -180..180) agrees with rotation phi.
func turns(turn, phi float64) bool {
	d := math.Mod(turn-phi+540, 360) - 180
	return d <= angleTol && d >= -angleTol
}

// agrees reports whether a pair's feature-size ratio agrees with scale s.
func agrees(ratio, s float64) bool { return ratio < s*scaleTol && ratio*scaleTol > s }

// Pairs returns, by brute force, the pairs of query and known features
// whose descriptors are within radius (the query's mirrored with
// mirrored), closest first: what the matcher's index finds, for tests
// and benchmarks.
func Pairs(q, k []triage.Keypoint, radius int, mirrored bool) []Pair {
	type dp struct {
		p Pair
		d int
	}
	var ps []dp
	for i, a := range q {
		d := a.Desc
		if mirrored {
			d = Mirror(d)
		}
		for j, b := range k {
			if dist := Distance(d, b.Desc); dist <= radius {
				ps = append(ps, dp{Pair{Q: a, K: b, QI: i, KI: j}, dist})
			}
		}
	}
	slices.SortStableFunc(ps, func(a, b dp) int { return a.d - b.d })
	out := make([]Pair, len(ps))
	for i := range ps {
		out[i] = ps[i].p
	}
	return out
}
