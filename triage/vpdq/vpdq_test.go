package vpdq_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage/pdq"
	"github.com/winnow-forensics/winnow/triage/sandbox"
	"github.com/winnow-forensics/winnow/triage/triagetest"
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

// BenchmarkVideo compares the CPU time of vPDQ at one frame a second
// (ffmpeg decoding and converting the sampled frames, this process hashing
// them) with ffmpeg's own decode of the same frames to -f null. The video
// is $WINNOW_BENCH_VIDEO (README: a generated 1080p H.264 clip), else the
// small sample.
func BenchmarkVideo(b *testing.B) {
	path := "testdata/test-padded-dimensions.mp4"
	if p := os.Getenv("WINNOW_BENCH_VIDEO"); p != "" {
		path = p
	}
	info, err := video.Probe(context.Background(), video.Source{Path: path}, video.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	step := video.Step(1, info.FPS)
	b.Run("ffmpeg-null", func(b *testing.B) {
		t0 := cpuTime()
		for b.Loop() {
			cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0",
				"-vf", fmt.Sprintf("select=not(mod(n\\,%d))", step), "-fps_mode", "passthrough", "-f", "null", "-")
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
		}
		b.ReportMetric(float64(cpuTime()-t0)/float64(b.N)/1e6, "cpu-ms/op")
	})
	b.Run("vpdq", func(b *testing.B) {
		t0 := cpuTime()
		for b.Loop() {
			hashVideo(b, video.Source{Path: path}, 1)
		}
		b.ReportMetric(float64(cpuTime()-t0)/float64(b.N)/1e6, "cpu-ms/op")
	})
}

// cpuTime is the CPU time of this process and its exited children.
func cpuTime() time.Duration {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	return time.Duration(self.Utime.Nano() + self.Stime.Nano() + children.Utime.Nano() + children.Stime.Nano())
}

// BenchmarkHashFrame1080 is the cost of hashing one 1080p frame (luma and
// PDQ with quality): at one frame a second, vPDQ's own share of the work.
func BenchmarkHashFrame1080(b *testing.B) {
	img := image.NewNRGBA(image.Rect(0, 0, 1920, 1080))
	src := triagetest.Photo(1920, 1080, 3)
	copy(img.Pix, src.Pix)
	var h vpdq.Hasher
	for b.Loop() {
		h.Hash(img, 0, 0)
	}
}
