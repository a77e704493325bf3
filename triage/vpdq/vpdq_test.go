package vpdq_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage/pdq"
	"github.com/winnow-forensics/winnow/triage/sandbox"
	"github.com/winnow-forensics/winnow/triage/video"
	"github.com/winnow-forensics/winnow/triage/vpdq"
)

func TestMain(m *testing.M) {
	sandbox.Main(nil)
	os.Exit(m.Run())
}

func readFeatures(t testing.TB, path string) []vpdq.Feature {
	t.Helper()
	f, err := os.Open(path)
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

// TestPairwiseMatches reproduces the reference's match percentages for
// every ordered pair of Meta's 16 sample hash files, under both
// conventions, to the two decimals the reference prints.
func TestPairwiseMatches(t *testing.T) {
	f, err := os.Open("testdata/vpdq-pairwise-matches.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	hashes := map[string][]vpdq.Feature{}
	get := func(name string) []vpdq.Feature {
		if hashes[name] == nil {
			hashes[name] = readFeatures(t, filepath.Join("testdata", "sample-hashes", name+".txt"))
		}
		return hashes[name]
	}
	cpp := vpdq.Rule{Distance: 31, Quality: 50, Convention: vpdq.CPP}
	py := vpdq.Rule{Distance: 31, Quality: 50, Convention: vpdq.Python}
	for _, row := range rows[1:] {
		q, tg := get(row[0]), get(row[1])
		c, p := cpp.Compare(q, tg), py.Compare(q, tg)
		got := []string{
			fmt.Sprintf("%.2f", c.QueryPercent), fmt.Sprintf("%.2f", c.TargetPercent),
			fmt.Sprintf("%.2f", p.QueryPercent), fmt.Sprintf("%.2f", p.TargetPercent),
		}
		if strings.Join(got, ",") != strings.Join(row[2:], ",") {
			t.Errorf("%s vs %s: got %v, want %v", row[0], row[1], got, row[2:])
		}
	}
	if len(rows) != 257 {
		t.Fatalf("%d pairs, want 256", len(rows)-1)
	}
}

// TestReferenceHashes hashes Meta's sample videos through ffmpeg and
// compares with the reference C++ tool's hashes on the same FFmpeg 5.1:
// the same frames and timestamps, and frames of quality 50 or more within
// a few bits.
func TestReferenceHashes(t *testing.T) {
	for _, name := range []string{"test-padded-dimensions", "doorknob-hd-no-bar", "pattern-sd-grey-bar"} {
		t.Run(name, func(t *testing.T) {
			want := readFeatures(t, filepath.Join("testdata", "regenerated-ffmpeg5.1", name+".txt"))
			got := hashVideo(t, video.Source{Path: filepath.Join("testdata", name+".mp4")}, 0)
			if len(got) != len(want) {
				t.Fatalf("%d frames, want %d", len(got), len(want))
			}
			maxDist, same, strong := 0, 0, 0
			for i := range got {
				g, w := got[i], want[i]
				if g.Frame != w.Frame || fmt.Sprintf("%.3f", g.Timestamp) != fmt.Sprintf("%.3f", w.Timestamp) {
					t.Fatalf("frame %d: got %v, want %v", i, g, w)
				}
				if g.PDQ == w.PDQ {
					same++
				}
				if w.Quality >= 50 {
					strong++
					maxDist = max(maxDist, pdq.Distance(g.PDQ, w.PDQ))
				}
			}
			t.Logf("%d frames, %d bit-identical; %d of quality >= 50, at most %d bits apart", len(got), same, strong, maxDist)
			if maxDist > 8 {
				t.Errorf("frames of quality >= 50 up to %d bits from the reference, want <= 8", maxDist)
			}
		})
	}
}

func hashVideo(t testing.TB, src video.Source, interval float64) []vpdq.Feature {
	t.Helper()
	var h vpdq.Hasher
	var out []vpdq.Feature
	_, err := video.Frames(context.Background(), src, video.Options{Interval: interval}, func(f video.Frame) error {
		out = append(out, h.Hash(f.Image, f.Index, f.Timestamp))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestInterval: sampling at one frame a second keeps the reference's
// frames whose index is a multiple of int(fps), from memory as from a file.
func TestInterval(t *testing.T) {
	all := readFeatures(t, filepath.Join("testdata", "regenerated-ffmpeg5.1", "test-padded-dimensions.txt"))
	data, err := os.ReadFile(filepath.Join("testdata", "test-padded-dimensions.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	got := hashVideo(t, video.Source{Data: data}, 1)
	if len(got) != 5 {
		t.Fatalf("%d frames at 1 s from a 5 s, 30 fps video, want 5", len(got))
	}
	for i, g := range got {
		w := all[30*i]
		if g.Frame != w.Frame || g.PDQ != w.PDQ || g.Quality != w.Quality {
			t.Errorf("sample %d: got %v, want %v", i, g, w)
		}
	}
}

func TestParseLine(t *testing.T) {
	good := "0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.000"
	f, err := vpdq.ParseLine(good)
	if err != nil || f.String() != good {
		t.Fatalf("ParseLine(%q) = %v, %v", good, f, err)
	}
	for _, bad := range []string{"", "0,100,e271,0.000", "x,1,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0",
		"0,101,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0", "0,1,2,3,4"} {
		if _, err := vpdq.ParseLine(bad); err == nil {
			t.Errorf("ParseLine(%q) accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.000\n\n1,50,c0f11178372c6aaccddea259648fbfd62f434c89c9e99b249772be216c8d055c,1.5\n"))
	f.Add([]byte("0,1,zz,0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, err := vpdq.Parse(strings.NewReader(string(b)), 100)
		if err != nil {
			return
		}
		for _, x := range fs {
			back, err := vpdq.ParseLine(x.String())
			if err != nil || back.PDQ != x.PDQ || back.Frame != x.Frame || back.Quality != x.Quality {
				t.Fatalf("%v does not survive String and ParseLine: %v, %v", x, back, err)
			}
		}
		vpdq.DefaultRule.Compare(fs, fs)
	})
}
