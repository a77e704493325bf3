package main

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// TestLabKeypoints: a set built from media carries its images' local
// features; once pushed, the lab's worker computes the query's features
// too (as winnow scan does), and a copy with a quarter cut off the left
// and 8% off the top, which no whole-image hash or region finds, is a
// variant of the known image through them. An unrelated photo stays new.
func TestLabKeypoints(t *testing.T) {
	l := startLab(t, labEnv(t))
	media, dir := t.TempDir(), t.TempDir()
	photo := triagetest.Photo(640, 480, 61)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, photo, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(media, "known.jpg"), b.Bytes())
	setPath := filepath.Join(t.TempDir(), "kp.wset")
	if code, _, errs := runWinnow(t, "hashset", "build", "--out", setPath, "--name", "kp-known", "--category", "vic-us:1", media); code != 0 {
		t.Fatalf("build: %s", errs)
	}
	if code, out, errs := runWinnowEnv(t, map[string]string{"WINNOW_SERVER": l.URL, "WINNOW_TOKEN": l.Token}, "hashset", "push", setPath); code != 0 {
		t.Fatalf("push: %s %s", out, errs)
	}
	m := l.Worker.w.Matcher()
	waitFor(t, 10*time.Second, "set with keypoints loaded", m.WantsKeypoints)

	b.Reset()
	if err := jpeg.Encode(&b, photo.SubImage(image.Rect(160, 38, 640, 480)), &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "crop.jpg"), b.Bytes())
	writeFile(t, filepath.Join(dir, "other.jpg"), triagetest.PhotoJPEG(640, 480, 62, 85))
	l.submitDir(t, "case-k", "laptop", dir)
	items := l.itemsOf(t, "case-k", "laptop")
	crop := items[filepath.Base(dir)+"/crop.jpg"]
	if crop.Verdict != triage.VerdictVariant || crop.Category != "vic-us:1" || !strings.Contains(crop.Reason, "local features") {
		t.Errorf("asymmetric crop: %+v, want a vic-us:1 variant through local features", crop)
	}
	if other := items[filepath.Base(dir)+"/other.jpg"]; other.Verdict != triage.VerdictNew {
		t.Errorf("unrelated photo: %+v, want new", other)
	}
}

// TestLabPromotedKeypoints: with no set carrying local features, the
// worker still extracts them for a new photo and the item keeps them;
// promoted from review, its entry in the local set carries them, so a
// copy with a quarter cut off the left and 8% off the top, which no
// whole-image hash or region finds, is a variant of the promoted content
// through them.
func TestLabPromotedKeypoints(t *testing.T) {
	l := startLab(t, labEnv(t))
	dirA, dirB := t.TempDir(), t.TempDir()
	photo := triagetest.Photo(640, 480, 63)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, photo, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	orig := b.Bytes()
	writeFile(t, filepath.Join(dirA, "DCIM/p.jpg"), orig)
	if s := l.submitDir(t, "case-a", "phone", dirA); s.Verdicts["new"] != 1 {
		t.Fatalf("case A: %+v", s)
	}
	m := l.Worker.w.Matcher()
	if m.WantsKeypoints() {
		t.Fatal("a set with keypoints is loaded before any promotion")
	}
	q := l.queue(t, "", "new")
	if len(q.Groups) != 1 {
		t.Fatalf("queue: %+v", q)
	}
	var res struct {
		Outcomes []triage.MemberOutcome `json:"outcomes"`
	}
	if st := l.send(t, "", "POST", fmt.Sprintf("/api/v1/review/groups/%d/decision", q.Groups[0].ID),
		api.DecisionBody{Category: "vic-us:1", Claim: true}, &res); st != 200 || res.Outcomes[0].Status != triage.MemberConfirmed {
		t.Fatalf("decision: %d %+v", st, res)
	}
	l.waitPromoted(t, orig)
	if !m.WantsKeypoints() {
		t.Fatal("the promoted entry carries no keypoints")
	}

	var c bytes.Buffer
	if err := jpeg.Encode(&c, photo.SubImage(image.Rect(160, 38, 640, 480)), &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	got := l.submitPromotedVariant(t, dirB, c.Bytes(), "local features")
	kp := 0
	for _, m := range got.Matches {
		if m.Set == "winnow-local" && m.Algorithm == "keypoints" {
			kp++
		} else if m.Set == "winnow-local" {
			t.Errorf("match %+v: the crop matched the local entry otherwise than through keypoints", m)
		}
	}
	if kp != 1 {
		t.Errorf("matches %+v, want one through keypoints on the local entry", got.Matches)
	}
}
