package matching

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/keypoint"
	"github.com/winnow-forensics/winnow/triage/setfile"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// hashJPEG hashes img, saved as a JPEG, with n keypoints.
func hashJPEG(t *testing.T, img image.Image, n int) triage.Fingerprint {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	h := hashing.New(hashing.Options{Algos: triage.AlgosMatch, Views: true, Keypoints: n})
	fp := h.HashBytes(context.Background(), buf.Bytes())
	if fp.Err != nil {
		t.Fatal(fp.Err)
	}
	return fp
}

// TestKeypointMatch: a copy with a quarter of the width cut off the left
// and 8% of the height off the top matches its original through
// keypoints only, as a variant with the inliers in the reason; unrelated
// photos do not; rules without keypoints, or a set without them, do not
// ask for the query's.
func TestKeypointMatch(t *testing.T) {
	b := setfile.NewBuilder(triage.SetMeta{Name: "kp", Kind: triage.SetKindAlert})
	var photos []*image.RGBA
	for seed := uint64(1); seed <= 4; seed++ {
		img := triagetest.Photo(640, 480, seed)
		photos = append(photos, img)
		fp := hashJPEG(t, img, keypoint.Known)
		e := triage.NewEntry()
		e.Algos = triage.AlgoSet(triage.AlgoPDQ | triage.AlgoPHash)
		e.PDQ, e.PDQQuality, e.PHash, e.Keypoints = fp.PDQ, fp.PDQQuality, fp.PHash, fp.Keypoints
		if _, err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	var buf writerBuf
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	set, err := setfile.Parse(buf)
	if err != nil {
		t.Fatal(err)
	}
	rules := DefaultRules()
	m := New(Options{Rules: &rules})
	if m.WantsKeypoints() {
		t.Error("empty matcher wants keypoints")
	}
	m.AddSet(set)
	if !m.WantsKeypoints() {
		t.Error("matcher with a keypoint set does not want keypoints")
	}

	crop := photos[0].SubImage(image.Rect(160, 38, 640, 480))
	fp := hashJPEG(t, crop, keypoint.Query)
	ms := m.Match(&fp)
	if len(ms) != 1 || ms[0].Algo != triage.AlgoKeypoints || ms[0].Entry != 0 || ms[0].Distance < rules.Default.Keypoints {
		t.Fatalf("asymmetric crop: matches %+v, want one keypoint match on entry 0", ms)
	}
	d := rules.Decide(&fp, ms)
	if d.Verdict != triage.VerdictVariant || !strings.Contains(d.Reason, "local features") || !strings.Contains(d.Reason, "keypoints agree") {
		t.Errorf("decision %v %q", d.Verdict, d.Reason)
	}

	// Entries added to a loaded set match too.
	fp2 := hashJPEG(t, photos[1], keypoint.Known)
	e := triage.NewEntry()
	e.Algos, e.PHash, e.Keypoints = triage.AlgoSet(triage.AlgoPHash), fp2.PHash^0xffff_ffff, fp2.Keypoints
	if err := m.AddEntries("kp", []triage.Entry{e}); err != nil {
		t.Fatal(err)
	}
	q2 := hashJPEG(t, photos[1].SubImage(image.Rect(0, 0, 480, 440)), keypoint.Query)
	found := false
	for _, mt := range m.Match(&q2) {
		found = found || mt.Entry == 4 && mt.Algo == triage.AlgoKeypoints
	}
	if !found {
		t.Error("crop of an added entry: no keypoint match")
	}

	for seed := uint64(50); seed < 56; seed++ {
		q := hashJPEG(t, triagetest.Photo(640, 480, seed).SubImage(image.Rect(160, 38, 640, 480)), keypoint.Query)
		if ms := m.Match(&q); len(ms) != 0 {
			t.Errorf("unrelated photo %d: %+v", seed, ms)
		}
	}

	off := DefaultRules()
	off.Default.Keypoints = 0
	moff := New(Options{Rules: &off})
	moff.AddSet(set)
	if moff.WantsKeypoints() || len(moff.Match(&fp)) != 0 {
		t.Error("keypoints off: still wanted or matched")
	}
}

func TestKeypointRuleValidate(t *testing.T) {
	for _, v := range []int{1, 2, -1, triage.MaxKeypoints + 1} {
		r := DefaultRules()
		r.Default.Keypoints = v
		if err := r.Validate(); err == nil {
			t.Errorf("keypoints %d: no error", v)
		}
	}
	r, err := ParseRules(strings.NewReader(`{"default": {"keypoints": 0}}`))
	if err != nil || r.Default.Keypoints != 0 {
		t.Errorf("keypoints 0: %v %+v", err, r.Default)
	}
}
