package matching

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/vpdq"
)

func readVPDQ(t *testing.T, name string) []vpdq.Feature {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "vpdq", "testdata", "sample-hashes", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fs, err := vpdq.Parse(f, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// frameEntries are a video's entries as a ThreatExchange vPDQ import gives
// them.
func frameEntries(fs []vpdq.Feature) []triage.Entry {
	var es []triage.Entry
	for _, f := range fs {
		e := triage.NewEntry()
		e.PDQ, e.PDQQuality = triage.PDQ(f.PDQ), f.Quality
		e.Algos = triage.AlgoSet(triage.AlgoPDQ | triage.AlgoVPDQ)
		e.SetExtra("frame", strconv.Itoa(f.Frame))
		es = append(es, e)
	}
	return es
}

func videoFingerprint(fs []vpdq.Feature) *triage.Fingerprint {
	fp := &triage.Fingerprint{Type: triage.MediaType{MIME: "video/mp4", Kind: triage.KindVideo}, Width: 640, Height: 360}
	for _, f := range fs {
		fp.Frames = append(fp.Frames, triage.FrameHash{Frame: f.Frame, Quality: f.Quality, PDQ: triage.PDQ(f.PDQ), Timestamp: f.Timestamp})
	}
	return fp
}

// TestVideoMatchReference: videos imported from vPDQ files into one set are
// told apart, and a query video gets the reference's match percentages
// (python-threatexchange convention) against each.
func TestVideoMatchReference(t *testing.T) {
	target := readVPDQ(t, "chair-22-with-small-logo-bar")
	other := readVPDQ(t, "pattern-sd-grey-bar")
	copyOf := frameEntries(target)
	for i := range copyOf {
		copyOf[i].Name = "copy.mp4"
	}
	es := append(append(frameEntries(target), frameEntries(other)...), copyOf...)
	set := buildSet(t, triage.SetMeta{Name: "V", Version: "1", Kind: triage.SetKindAlert}, es)
	m := New(Options{})
	m.AddSet(set)
	ls := m.sets.load()[0]
	if len(ls.videos) != 3 {
		t.Fatalf("%d videos in the set, want 3 (%+v)", len(ls.videos), ls.videos)
	}
	fp := videoFingerprint(readVPDQ(t, "chair-19-sd-bar"))
	ms := m.Match(fp)
	var got []string
	for _, mt := range ms {
		if mt.Algo == triage.AlgoVPDQ {
			got = append(got, strconv.Itoa(mt.Entry)+":"+strconv.FormatFloat(mt.QueryPercent, 'f', 2, 64)+"/"+strconv.FormatFloat(mt.TargetPercent, 'f', 2, 64))
		}
	}
	// Reference (vpdq-pairwise-matches.csv, pte columns): 96.26 / 82.80.
	want := []string{"0:96.26/82.80", strconv.Itoa(len(target)+len(other)) + ":96.26/82.80"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("vpdq matches %v, want %v", got, want)
	}
	d := DefaultRules().Decide(fp, ms)
	if d.Verdict != triage.VerdictVariant || !strings.Contains(d.Reason, "96.3% of the video's frames") {
		t.Fatalf("decision %s (%s), want variant by vpdq", d.Verdict, d.Reason)
	}
	// The target's share as a threshold.
	strict := DefaultRules()
	strict.Default.VPDQ = VideoRule{QueryPercent: 80, TargetPercent: 90}
	m2 := New(Options{Rules: &strict})
	m2.AddSet(set)
	for _, mt := range m2.Match(fp) {
		if mt.Algo == triage.AlgoVPDQ {
			t.Fatalf("target 82.80%% < 90%% matched: %+v", mt)
		}
	}
}

// TestVideoStills: a known still among a video's frames makes the video a
// variant, with the times it appears; black frames match nothing.
func TestVideoStills(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	var es []triage.Entry
	for range 50 {
		e := triage.NewEntry()
		for i := range e.PDQ {
			e.PDQ[i] = byte(rng.Uint32())
		}
		e.Algos = triage.AlgoSet(triage.AlgoPDQ)
		es = append(es, e)
	}
	set := buildSet(t, triage.SetMeta{Name: "S", Version: "1", Kind: triage.SetKindAlert}, es)
	m := New(Options{})
	m.AddSet(set)
	flip := func(h triage.PDQ, bits int) triage.PDQ {
		for i := range bits {
			h[i] ^= 1
		}
		return h
	}
	var fs []vpdq.Feature
	add := func(h triage.PDQ, q int) {
		n := len(fs)
		fs = append(fs, vpdq.Feature{Frame: n * 30, Quality: q, PDQ: [32]byte(h), Timestamp: float64(n)})
	}
	k := es[7].PDQ
	var black triage.PDQ
	add(black, 0)
	add(k, 100)          // 1 s
	add(flip(k, 3), 100) // a repeat: dropped
	add(es[40].PDQ, 100) // 3 s
	add(flip(k, 12), 100)
	add(black, 0)
	fp := videoFingerprint(fs)
	ms := m.Match(fp)
	var still []triage.Match
	for _, mt := range ms {
		if mt.Timestamps != nil {
			still = append(still, mt)
		}
	}
	if len(still) != 2 || still[0].Entry != 7 || still[1].Entry != 40 {
		t.Fatalf("still matches %+v, want entries 7 and 40", still)
	}
	if ts := still[0].Timestamps; len(ts) != 2 || ts[0] != 1 || ts[1] != 4 || still[0].Distance != 0 {
		t.Fatalf("entry 7 at %v (distance %d), want 1 s and 4 s, distance 0", ts, still[0].Distance)
	}
	d := DefaultRules().Decide(fp, ms)
	if d.Verdict != triage.VerdictVariant || !strings.Contains(d.Reason, "appears at 0:01, 0:04") {
		t.Fatalf("decision %s (%s), want variant, appearing at 0:01, 0:04", d.Verdict, d.Reason)
	}
}
