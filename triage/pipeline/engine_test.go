package pipeline

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/archive"
	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/matching"
	"github.com/winnow-forensics/winnow/triage/setfile"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// mustZip returns a zip holding the named files, in order.
func mustZip(t *testing.T, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i < len(files); i += 2 {
		w, err := zw.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[i+1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// mustWrite writes files (name, content pairs) under dir.
func mustWrite(t *testing.T, dir string, files ...string) {
	t.Helper()
	for i := 0; i < len(files); i += 2 {
		p := filepath.Join(dir, files[i])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(files[i+1]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// matcherOf returns a matcher with one alert set holding the SHA-256 of
// each content.
func matcherOf(t *testing.T, contents ...string) *matching.Matcher {
	t.Helper()
	b := setfile.NewBuilder(triage.SetMeta{Name: "known", Version: "1", Kind: triage.SetKindAlert})
	for _, c := range contents {
		e := triage.NewEntry()
		e.SHA256, e.Algos = sha256.Sum256([]byte(c)), triage.AlgoSet(triage.AlgoSHA256)
		e.Category = triage.MustParseCategory("vic-us:1")
		if _, err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	s, err := setfile.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	m := matching.New(matching.Options{})
	m.AddSet(s)
	return m
}

// TestRunFilesAndContainers runs the whole pipeline over a folder with a
// photo, a zip holding a copy of it, a text file and a symbolic link: every
// entry and member is one result, matched and decided, and the zip's own
// result counts its members.
func TestRunFilesAndContainers(t *testing.T) {
	dir := t.TempDir()
	photo := string(triagetest.PhotoJPEG(320, 240, 1, 90))
	mustWrite(t, dir, "a.jpg", photo, "notes/b.txt", "hello", "c.zip", string(mustZip(t, "x.jpg", photo, "sub/y.txt", "bye")))
	if err := os.Symlink("a.jpg", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	e := New(Config{
		Hasher:     hashing.New(Profile(hashing.Options{})),
		Matcher:    matcherOf(t, photo),
		Rules:      matching.DefaultRules(),
		Containers: []container.Container{archive.Archives},
		Workers:    3,
		Count:      true,
	})
	type got struct {
		Path, Inner, Verdict, Err string
		Container                 *ContainerInfo
	}
	var results []got
	var keys []string
	missing := e.Run(context.Background(), []string{dir, filepath.Join(dir, "absent")}, func(r *Result) {
		g := got{Path: strings.TrimPrefix(r.Path, dir+"/"), Inner: r.Inner, Verdict: string(r.Decision.Verdict), Container: r.Container}
		if r.Fingerprint.Err != nil {
			g.Err = triage.ErrorCode(r.Fingerprint.Err)
		}
		results = append(results, g)
		keys = append(keys, r.Key)
	})
	if want := []string{filepath.Join(dir, "absent")}; !slices.Equal(missing, want) {
		t.Errorf("missing = %q, want %q", missing, want)
	}
	slices.SortFunc(results, func(a, b got) int { return strings.Compare(a.Path, b.Path) })
	want := []got{
		{Path: "a.jpg", Verdict: "known"},
		{Path: "c.zip", Verdict: "new", Container: &ContainerInfo{Format: "zip", Members: 2}},
		{Path: "c.zip!/sub/y.txt", Inner: "sub/y.txt", Verdict: "new"},
		{Path: "c.zip!/x.jpg", Inner: "x.jpg", Verdict: "known"},
		{Path: "link", Verdict: "error", Err: triage.EUNSUPPORTED},
		{Path: "notes/b.txt", Verdict: "new"},
	}
	if diff := cmp.Diff(want, results); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	// Keys order a container's members after it, by path.
	slices.Sort(keys)
	for i, k := range keys {
		keys[i] = strings.ReplaceAll(strings.ReplaceAll(k, dir+"/", ""), "\x00", "|")
	}
	if want := []string{"0000|a.jpg|", "0000|c.zip|", "0000|c.zip!/sub/y.txt|00000001/", "0000|c.zip!/x.jpg|00000000/", "0000|link|", "0000|notes/b.txt|"}; !slices.Equal(keys, want) {
		t.Errorf("keys %q, want %q", keys, want)
	}
	p := e.Progress()
	if p.Items != 6 || p.Files != 4 || p.FilesTotal != 4 || p.Containers != 1 || p.Errors != 1 {
		t.Errorf("progress %+v: want 6 items, 4 of 4 files, 1 container, 1 error", p)
	}
}

// TestRunOrdered checks that an ordered run delivers one result per entry
// in walk order, whatever the number of workers, and expands nothing.
func TestRunOrdered(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for _, name := range []string{"a/1", "a/2", "a-b", "b.zip", "c/d/e", "z"} {
		content := name
		if strings.HasSuffix(name, ".zip") {
			content = string(mustZip(t, "m", "member"))
		}
		mustWrite(t, dir, name, content)
		want = append(want, filepath.Join(dir, name))
	}
	for _, workers := range []int{1, 4} {
		var got []string
		e := New(Config{Hasher: hashing.New(hashing.Options{}), Workers: workers, Ordered: true,
			Containers: []container.Container{archive.Archives}})
		e.Run(context.Background(), []string{dir}, func(r *Result) {
			if r.Fingerprint.Err != nil || r.Fingerprint.Size == 0 {
				t.Errorf("%s: %v, size %d", r.Path, r.Fingerprint.Err, r.Fingerprint.Size)
			}
			got = append(got, r.Path)
		})
		if !slices.Equal(got, want) {
			t.Errorf("%d workers: order %q, want %q", workers, got, want)
		}
	}
}

// TestRunInterrupted checks that an interrupted run stops: an unordered run
// drops what is queued, an ordered one delivers every entry it walked, the
// ones left unhashed with an EUNAVAILABLE error.
func TestRunInterrupted(t *testing.T) {
	dir := t.TempDir()
	for i := range 200 {
		mustWrite(t, dir, filepath.Join("d", strings.Repeat("x", i%7+1)+string(rune('a'+i%26))+string(rune('a'+i/26))), "content")
	}
	for _, ordered := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		e := New(Config{Hasher: hashing.New(hashing.Options{}), Workers: 2, Ordered: ordered,
			AfterItem: func(n int64) {
				if n == 3 {
					cancel()
				}
			}})
		var n, unavailable int
		e.Run(ctx, []string{dir}, func(r *Result) {
			n++
			if triage.ErrorCode(r.Fingerprint.Err) == triage.EUNAVAILABLE {
				unavailable++
			}
		})
		cancel()
		if n >= 200 || n < 3 {
			t.Errorf("ordered %v: %d results after interrupting at 3 of 200", ordered, n)
		}
		if !ordered && unavailable > 0 {
			t.Errorf("unordered: %d interrupted results delivered", unavailable)
		}
	}
}

// TestReadContent checks the member intake: what it holds in memory and
// what it streams, and that a stream always yields the whole member.
func TestReadContent(t *testing.T) {
	const limit = 8
	for _, tc := range []struct {
		name    string
		m       container.Member
		content string
		inMem   bool
	}{
		{"held by the container", container.Member{Size: 3, Data: []byte("abc")}, "abc", true},
		{"small", container.Member{Size: 5}, "hello", true},
		{"at the limit", container.Member{Size: 8}, "12345678", true},
		{"large", container.Member{Size: 9}, "123456789", false},
		{"unknown size, small", container.Member{Size: -1}, "tiny", true},
		{"unknown size, large", container.Member{Size: -1}, "more than eight", false},
		{"header lies", container.Member{Size: 3}, "many more bytes", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ReadContent(&tc.m, strings.NewReader(tc.content), limit)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Release()
			if (c.Data != nil) != tc.inMem {
				t.Fatalf("in memory: %v, want %v", c.Data != nil, tc.inMem)
			}
			got := string(c.Data)
			if c.Data == nil {
				b, err := io.ReadAll(c.Stream)
				if err != nil {
					t.Fatal(err)
				}
				got = string(b)
			}
			if got != tc.content {
				t.Errorf("content %q, want %q", got, tc.content)
			}
		})
	}
}
