package accuracy

import (
	"context"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/matching"
)

// TestSmoke runs the benchmark on a few small generated scenes: every
// distractor stays unmatched, and the edits the hashes handle best are
// found under the default rules. It is a check of the benchmark's
// plumbing and of the rules end to end, not a measurement (the
// benchaccuracy command is).
func TestSmoke(t *testing.T) {
	n := 16
	if testing.Short() {
		n = 8
	}
	originals, err := Generated(n, 100, 320)
	if err != nil {
		t.Fatal(err)
	}
	framed, err := Framed(n/2, 5000, 320)
	if err != nil {
		t.Fatal(err)
	}
	originals = append(originals, framed...)
	n = len(originals)
	h := hashing.New(hashing.Options{Algos: triage.AlgosMatch, Views: true})
	res, err := Run(context.Background(), originals, Transforms(), h, nil)
	if err != nil {
		t.Fatal(err)
	}
	inSet := 0
	for _, e := range res.Entry {
		if e >= 0 {
			inSet++
		}
	}
	if inSet == 0 || inSet == n {
		t.Fatalf("%d of %d originals in the set: the split is broken", inSet, n)
	}
	ev := res.Evaluate(Config{Name: "default", Rules: matching.DefaultRules()})
	for _, f := range ev.False {
		t.Errorf("false match: %s ~ %s (%s %d)", f.Query, f.Entry, f.Algo, f.Distance)
	}
	if got := ev.Recall(len(res.Transforms)); got != 100 {
		t.Errorf("original files: recall %.0f%%, want 100%%", got)
	}
	easy := map[string]bool{"jpeg q50": true, "grayscale": true, "mirror": true, "rotate 90": true,
		"20% black border": true, "screenshot": true, "white frame 8%": true}
	for i, tr := range res.Transforms {
		if easy[tr.Name] && ev.Found[i] < ev.Total[i] {
			t.Errorf("%s: found %d of %d", tr.Name, ev.Found[i], ev.Total[i])
		}
	}
	// Plain PDQ finds no rotated or bordered copy: the rules are what finds them.
	plain := res.Evaluate(Configs()[0])
	for i, tr := range res.Transforms {
		if (tr.Name == "rotate 90" || tr.Name == "20% black border") && plain.Found[i] > 0 {
			t.Errorf("plain PDQ found %d %s copies", plain.Found[i], tr.Name)
		}
	}
	var sb testingWriter
	WriteTable(&sb, res, []Eval{plain, ev})
	t.Logf("\n%s", sb)
}

type testingWriter []byte

func (w *testingWriter) Write(b []byte) (int, error) { *w = append(*w, b...); return len(b), nil }
func (w testingWriter) String() string               { return string(w) }
