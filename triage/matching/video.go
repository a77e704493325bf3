package matching

import (
	"slices"
	"sort"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/index"
	"github.com/winnow-forensics/winnow/triage/pdq"
	"github.com/winnow-forensics/winnow/triage/setfile"
	"github.com/winnow-forensics/winnow/triage/vpdq"
)

// A set holds a video as its vPDQ frames: entries with AlgoVPDQ (and the
// frame's PDQ), one per sampled frame, in frame order, as a ThreatExchange
// vPDQ file or `hashset build` of a video gives them. A video is a run of
// consecutive such entries with the same name and id whose frame numbers
// increase; any other PDQ entry is a still.

// videoRun is one video of a set: entries first..last.
type videoRun struct {
	first, last uint32
	// kept is the number of the video's frames that take part in the
	// vPDQ rule: distinct hashes of quality 50 or more.
	kept int
}

// buildVideos finds the videos of a set. It reads only the entries marked
// AlgoVPDQ, so sets of stills load as fast as before.
func buildVideos(s *setfile.Set, minQuality int) []videoRun {
	ids, _ := s.PDQs()
	var frames []uint32
	for _, id := range ids {
		if s.HasAlgo(int(id), triage.AlgoVPDQ) {
			frames = append(frames, id)
		}
	}
	slices.Sort(frames)
	var runs []videoRun
	var name, eid string
	last := -1
	var seen map[triage.PDQ]bool
	for _, id := range frames {
		e := s.Entry(int(id))
		frame := frameNumber(e.Extra["frame"])
		n := len(runs)
		if n == 0 || id != runs[n-1].last+1 || e.Name != name || e.ID != eid || frame <= last {
			runs = append(runs, videoRun{first: id, last: id})
			name, eid, seen = e.Name, e.ID, map[triage.PDQ]bool{}
			n++
		}
		runs[n-1].last, last = id, frame
		if !seen[e.PDQ] { // the first occurrence of a hash decides, as in the reference
			seen[e.PDQ] = true
			if e.PDQQuality < 0 || e.PDQQuality >= minQuality {
				runs[n-1].kept++
			}
		}
	}
	return runs
}

func frameNumber(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' || n > 1<<30 {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// videoOf returns the index of the video holding entry id, or -1.
func (ls *loadedSet) videoOf(id uint32) int {
	i := sort.Search(len(ls.videos), func(i int) bool { return ls.videos[i].last >= id })
	if i < len(ls.videos) && ls.videos[i].first <= id {
		return i
	}
	return -1
}

// videoQuery is what a video fingerprint queries with: the frames of the
// vPDQ rule (distinct hashes of usable quality) and the informative frames
// (black, flat and repeated ones dropped) that are matched against stills.
type videoQuery struct {
	kept        []triage.PDQ
	informative []triage.FrameHash
}

func (m *Matcher) videoQuery(fp *triage.Fingerprint) videoQuery {
	fs := make([]vpdq.Feature, len(fp.Frames))
	for i, f := range fp.Frames {
		fs[i] = vpdq.Feature{Frame: f.Frame, Quality: f.Quality, PDQ: pdq.Hash(f.PDQ), Timestamp: f.Timestamp}
	}
	rule := vpdq.Rule{Quality: max(vpdq.MinQuality, m.opt.MinPDQQuality)}
	var q videoQuery
	for _, h := range rule.Kept(fs) {
		q.kept = append(q.kept, triage.PDQ(h))
	}
	for _, f := range vpdq.Informative(fs, rule.Quality, vpdq.NearDuplicate) {
		q.informative = append(q.informative, triage.FrameHash{Frame: f.Frame, Quality: f.Quality, PDQ: triage.PDQ(f.PDQ), Timestamp: f.Timestamp})
	}
	return q
}

// matchVideo appends to out the set's matches of a video: its videos that
// match by the vPDQ rule, and its stills that appear among the video's
// informative frames (with the times they appear).
func (ls *loadedSet) matchVideo(q *videoQuery, near []index.Match, out *[]triage.Match) []index.Match {
	vr := ls.rules.VPDQ.withDefaults()
	type hit struct {
		queries map[int]bool
		targets map[triage.PDQ]bool
		best    int
	}
	var hits map[int]*hit
	if len(ls.videos) > 0 {
		hits = map[int]*hit{}
		for qi, h := range q.kept {
			near = ls.pdq.Query(h, vr.Distance, near[:0])
			for _, nm := range near {
				v := ls.videoOf(nm.ID)
				if v < 0 {
					continue
				}
				hv := hits[v]
				if hv == nil {
					hv = &hit{queries: map[int]bool{}, targets: map[triage.PDQ]bool{}, best: nm.Distance}
					hits[v] = hv
				}
				hv.queries[qi] = true
				if th, ok := ls.entryPDQ(nm.ID); ok {
					hv.targets[th] = true
				}
				hv.best = min(hv.best, nm.Distance)
			}
		}
	}
	for v, hv := range hits {
		run := ls.videos[v]
		qp := percent(len(hv.queries), len(q.kept))
		tp := percent(len(hv.targets), run.kept)
		if qp >= vr.QueryPercent && tp >= vr.TargetPercent {
			mt := ls.match(run.first, triage.AlgoVPDQ, hv.best, 0)
			mt.QueryPercent, mt.TargetPercent = round2(qp), round2(tp)
			*out = append(*out, mt)
		}
	}
	if ls.pdqRadius < 0 {
		return near // PDQ never counts alone in this set
	}
	stills := map[uint32]*triage.Match{}
	var order []uint32
	prev := map[uint32]int{} // the informative frame that last matched each still
	for fi, f := range q.informative {
		near = ls.pdq.Query(f.PDQ, ls.pdqRadius, near[:0])
		for _, nm := range near {
			if ls.videoOf(nm.ID) >= 0 {
				continue
			}
			mt := stills[nm.ID]
			if mt == nil {
				m := ls.match(nm.ID, triage.AlgoPDQ, nm.Distance, 0)
				mt = &m
				stills[nm.ID] = mt
				order = append(order, nm.ID)
			}
			mt.Distance = min(mt.Distance, nm.Distance)
			// A still held on screen matches consecutive informative
			// frames only when the picture changed little: report where
			// each run of matches starts.
			if p, ok := prev[nm.ID]; (!ok || p != fi-1) && len(mt.Timestamps) < triage.MaxTimestamps {
				mt.Timestamps = append(mt.Timestamps, f.Timestamp)
			}
			prev[nm.ID] = fi
		}
	}
	for _, id := range order {
		*out = append(*out, *stills[id])
	}
	return near
}

func percent(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) * 100 / float64(of)
}

func round2(v float64) float64 { return float64(int(v*100+0.5)) / 100 }
