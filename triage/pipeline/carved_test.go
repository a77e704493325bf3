package pipeline

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/matching"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// members is a container kind for content of unknown type that holds
// the given members, each with its content.
type members []struct {
	m    container.Member
	data []byte
}

func (ms members) Detect(mt triage.MediaType) (string, error) {
	if mt.MIME == triage.MIMEUnknown {
		return "test", nil
	}
	return "", nil
}

func (ms members) Expand(ctx context.Context, _ io.ReaderAt, _ int64, _ container.Options, visit container.VisitFunc) (container.Stats, error) {
	for i := range ms {
		m := ms[i].m
		m.Size = int64(len(ms[i].data))
		m.ReaderAt = bytes.NewReader(ms[i].data)
		if err := visit(&m, bytes.NewReader(ms[i].data)); err != nil {
			return container.Stats{}, err
		}
	}
	return container.Stats{Format: "test"}, nil
}

// cutPictures returns a PNG and a JPEG cut at 60%.
func cutPictures(t *testing.T) (cutPNG, cutJPEG []byte) {
	t.Helper()
	var p bytes.Buffer
	if err := png.Encode(&p, triagetest.Photo(320, 240, 3)); err != nil {
		t.Fatal(err)
	}
	j := triagetest.PhotoJPEG(400, 300, 4, 90)
	return p.Bytes()[:p.Len()*6/10], j[:len(j)*6/10]
}

// TestRunCarvedUndecodable: a carved candidate marked truncated that no
// decoder reads is counted, not delivered; a cut JPEG carved is kept,
// partial; a complete carved file and a file from the file system that
// do not decode stay items with their error. CheckCarved, the lab
// worker's check, says the same of each.
func TestRunCarvedUndecodable(t *testing.T) {
	cutPNG, cutJPEG := cutPictures(t)
	carved := func(inner string, truncated bool) container.Member {
		m := container.Member{Inner: inner, Carved: true, Attrs: map[string]string{"fs": "fat16"}}
		if truncated {
			m.Attrs["carved"] = "truncated"
		}
		return m
	}
	kind := members{
		{carved("$Unallocated/0x1000.png", true), cutPNG},
		{carved("$Unallocated/0x2000.jpg", true), cutJPEG},
		{carved("$Unallocated/0x3000.png", false), cutPNG},
		{container.Member{Inner: "DCIM/a.png", Attrs: map[string]string{"fs": "fat16"}}, cutPNG},
		{container.Member{Inner: "DCIM/b.png", Deleted: true, Attrs: map[string]string{"fs": "fat16"}}, cutPNG},
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "disk.bin"), []byte("a disk image of no known type"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := hashing.New(Profile(hashing.Options{}))
	e := New(Config{Hasher: h, Matcher: matcherOf(t), Rules: matching.DefaultRules(), Containers: []container.Container{kind}, Workers: 2})
	type got struct {
		Inner, Verdict  string
		Partial, Failed bool
	}
	var results []got
	e.Run(context.Background(), []string{dir}, func(r *Result) {
		results = append(results, got{r.Inner, string(r.Decision.Verdict), r.Fingerprint.Partial, r.Fingerprint.Err != nil})
	})
	slices.SortFunc(results, func(a, b got) int { return strings.Compare(a.Inner, b.Inner) })
	want := []got{
		{Inner: "", Verdict: "new"},
		{Inner: "$Unallocated/0x2000.jpg", Verdict: "new", Partial: true},
		{Inner: "$Unallocated/0x3000.png", Verdict: "error", Failed: true},
		{Inner: "DCIM/a.png", Verdict: "error", Failed: true},
		{Inner: "DCIM/b.png", Verdict: "error", Failed: true},
	}
	if diff := cmp.Diff(want, results); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if p := e.Progress(); p.CarvedUndecodable != 1 || p.Items != 5 {
		t.Errorf("progress: %d items, %d carved undecodable; want 5 and 1", p.Items, p.CarvedUndecodable)
	}
	for i, x := range kind {
		m := x.m
		m.Size, m.ReaderAt = int64(len(x.data)), bytes.NewReader(x.data)
		inMemory := CheckCarved(context.Background(), h, &m, Content{Data: x.data})
		streamed := CheckCarved(context.Background(), h, &m, Content{Stream: bytes.NewReader(x.data)})
		if want := i == 0; inMemory != want || streamed != want {
			t.Errorf("%s: CheckCarved %v in memory, %v streamed; want %v", m.Inner, inMemory, streamed, want)
		}
	}
}
