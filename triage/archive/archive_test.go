package archive

import (
	"github.com/winnow-forensics/winnow/triage/container"

	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
)

func TestWalkNested(t *testing.T) {
	inner := mustZip(t, file{"c.txt", []byte("deep")})
	tgz := mustGzip(t, "", mustTar(t, reg("t/one.txt", []byte("one")), reg("t/inner.zip", inner)))
	outer := mustZip(t,
		file{"album/", nil},
		file{"album/a.txt", []byte("alpha")},
		file{"album/nested.zip", inner},
		file{"backup.tgz", tgz},
		file{"notes.txt.gz", mustGzip(t, "", []byte("gzipped"))},
	)
	got, st, err := walkAll(t, outer, container.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []seen{
		{inner: "album/a.txt", depth: 1, data: "alpha"},
		{inner: "album/nested.zip!/c.txt", depth: 2, data: "deep"},
		{inner: "album/nested.zip", depth: 1, data: string(inner), format: Zip},
		{inner: "backup.tgz!/t/one.txt", depth: 2, data: "one"},
		{inner: "backup.tgz!/t/inner.zip!/c.txt", depth: 3, data: "deep"},
		{inner: "backup.tgz!/t/inner.zip", depth: 2, data: string(inner), format: Zip},
		{inner: "backup.tgz", depth: 1, format: Gzip, digests: true},
		{inner: "notes.txt.gz!/notes.txt", depth: 2, data: "gzipped"},
		{inner: "notes.txt.gz", depth: 1, format: Gzip, digests: true},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(seen{})); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if st.Members != len(want) || st.Containers != 5 {
		t.Errorf("stats %+v, want %d members and 5 archives (a tar.gz is one)", st, len(want))
	}
}

// TestWalkStreamDigests checks the digests Walk computes for a nested
// archive it expands as a stream, and the reader of a nested zip.
func TestWalkStreamDigests(t *testing.T) {
	tgz := mustGzip(t, "x.tar", mustTar(t, reg("a", []byte("a"))))
	outer := mustTar(t, reg("x.tar.gz", tgz))
	var dg *triage.Digests
	_, err := Walk(context.Background(), bytes.NewReader(outer), int64(len(outer)), container.Options{}, func(m *container.Member, r io.Reader) error {
		if m.Inner == "x.tar.gz" {
			dg = m.Digests
			if r != nil || m.Size != int64(len(tgz)) {
				t.Errorf("streamed archive: reader %v, size %d (want nil, %d)", r, m.Size, len(tgz))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if dg == nil || dg.SHA256 != triage.SHA256(sha256.Sum256(tgz)) {
		t.Errorf("digests of the nested tar.gz: got %v, want sha256 %x", dg, sha256.Sum256(tgz))
	}
}

func TestWalkTopLevelFormats(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		opt  container.Options
		want []string
	}{
		{"tar", mustTar(t, reg("a.txt", []byte("a")), reg("b/c.txt", []byte("c"))), container.Options{}, []string{"a.txt", "b/c.txt"}},
		{"tgz", mustGzip(t, "", mustTar(t, reg("./a.txt", []byte("a")))), container.Options{Name: "x.tgz"}, []string{"a.txt"}},
		{"gzip named by header", mustGzip(t, "orig.jpg", []byte("x")), container.Options{Name: "whatever.gz"}, []string{"orig.jpg"}},
		{"gzip named by file", mustGzip(t, "", []byte("x")), container.Options{Name: "log.txt.gz"}, []string{"log.txt"}},
		{"gzip unnamed", mustGzip(t, "", []byte("x")), container.Options{}, []string{"content"}},
		{"bzip2", mustRead(t, "hello.txt.bz2"), container.Options{Name: "hello.txt.bz2"}, []string{"hello.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := walkAll(t, tt.data, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range got {
				names = append(names, s.inner)
			}
			if diff := cmp.Diff(tt.want, names); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
		})
	}
}

// mustRead reads a file from testdata.
func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestWalkNotArchive(t *testing.T) {
	for _, b := range [][]byte{[]byte("plain text"), nil, []byte("7z\xbc\xaf\x27\x1c\x00\x04")} {
		if _, err := Walk(context.Background(), bytes.NewReader(b), int64(len(b)), container.Options{}, nil); err == nil {
			t.Errorf("%q: no error", b)
		}
	}
}

func TestTarSpecialEntries(t *testing.T) {
	b := mustTar(t,
		reg("ok.txt", []byte("ok")),
		tarEntry{hdr: tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}},
		tarEntry{hdr: tar.Header{Name: "hard", Typeflag: tar.TypeLink, Linkname: "ok.txt"}},
		tarEntry{hdr: tar.Header{Name: "dev", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}},
		tarEntry{hdr: tar.Header{Name: "fifo", Typeflag: tar.TypeFifo}},
		tarEntry{hdr: tar.Header{Name: "dir/", Typeflag: tar.TypeDir}},
	)
	got, _, err := walkAll(t, b, container.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := byInner(got)
	if len(got) != 5 || m["ok.txt"].data != "ok" {
		t.Fatalf("members: %+v", got)
	}
	for name, want := range map[string]string{"link": "not followed", "hard": "hard link", "dev": "special file", "fifo": "special file"} {
		if s := m[name]; !strings.Contains(s.err, want) || s.data != "" {
			t.Errorf("%s: err %q, data %q; want an error containing %q and no content", name, s.err, s.data, want)
		}
	}
}

func TestCleanName(t *testing.T) {
	tests := []struct {
		raw, want string
		changed   bool
	}{
		{"a/b.jpg", "a/b.jpg", false},
		{"./a/./b.jpg", "a/b.jpg", false},
		{"a//b/", "a/b", false},
		{"../../etc/passwd", "etc/passwd", true},
		{"a/../../b", "a/b", true},
		{"/abs/path.jpg", "abs/path.jpg", true},
		{`C:\Users\x\pic.jpg`, "Users/x/pic.jpg", true},
		{`..\..\win.ini`, "win.ini", true},
		{`\A:`, "", true},
		{"/C:/x.jpg", "x.jpg", true},
		{"a/C:/x.jpg", "a/C:/x.jpg", false},
		{`A:\A:\x`, "A%3A/x", true},
		{"a\x00b.jpg", "a%00b.jpg", true},
		{"tab\there", "tab%09here", true},
		{"bad\xffutf8", "bad%FFutf8", true},
		{"photo\u202egpj.exe", "photo%E2%80%AEgpj.exe", true},
		{"x.zip!/y.jpg", "x.zip%21/y.jpg", true},
		{"..", "", true},
		{"", "", false},
		{"naïve café.jpg", "naïve café.jpg", false},
	}
	for _, tt := range tests {
		got, changed := CleanName(tt.raw)
		if got != tt.want || changed != tt.changed {
			t.Errorf("CleanName(%q) = %q, %v; want %q, %v", tt.raw, got, changed, tt.want, tt.changed)
		}
	}
}

func TestFormatOf(t *testing.T) {
	tests := []struct {
		head []byte
		want Format
		err  bool
	}{
		{[]byte("PK\x03\x04rest"), Zip, false},
		{[]byte("\x1f\x8b\x08\x00"), Gzip, false},
		{[]byte("BZh91AY"), Bzip2, false},
		{mustTar(t, reg("a", nil)), Tar, false},
		{[]byte("7z\xbc\xaf\x27\x1c"), "", true},
		{[]byte("Rar!\x1a\x07\x00"), "", true},
		{[]byte("\xfd7zXZ\x00"), "", true},
		{[]byte("\xff\xd8\xff\xe0"), "", false},
	}
	for _, tt := range tests {
		got, err := FormatOf(hashing.Sniff(tt.head))
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("FormatOf(%q) = %q, %v; want %q, error %v", tt.head[:min(8, len(tt.head))], got, err, tt.want, tt.err)
		}
	}
}

func TestWalkStopsOnVisitError(t *testing.T) {
	b := mustZip(t, file{"a", []byte("a")}, file{"b", []byte("b")})
	stop := errors.New("stop")
	n := 0
	_, err := Walk(context.Background(), bytes.NewReader(b), int64(len(b)), container.Options{}, func(*container.Member, io.Reader) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("Walk returned %v after %d visits; want the visitor's error after 1", err, n)
	}
}

func TestWalkCanceled(t *testing.T) {
	b := mustTar(t, reg("a", []byte("a")), reg("b", []byte("b")), reg("c", []byte("c")))
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := Walk(ctx, bytes.NewReader(b), int64(len(b)), container.Options{}, func(*container.Member, io.Reader) error {
		n++
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Errorf("Walk returned %v after %d visits; want context.Canceled after 1", err, n)
	}
}

// TestWalkGzipMultistream: concatenated gzip members are one stream.
func TestWalkGzipMultistream(t *testing.T) {
	var b bytes.Buffer
	for _, part := range []string{"one ", "two"} {
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(part))
		zw.Close()
	}
	got, _, err := walkAll(t, b.Bytes(), container.Options{Name: "x.gz"})
	if err != nil || len(got) != 1 || got[0].data != "one two" {
		t.Errorf("got %+v, %v; want one member \"one two\"", got, err)
	}
}

// TestMemberIndexes: members with the same name in two nested archives of
// the same name are told apart by their index paths.
func TestMemberIndexes(t *testing.T) {
	inner := mustZip(t, file{"x.txt", []byte("x")})
	b := mustZip(t, file{"a.zip", inner}, file{"a.zip", inner})
	var got [][]int
	_, err := Walk(context.Background(), bytes.NewReader(b), int64(len(b)), container.Options{}, func(m *container.Member, r io.Reader) error {
		if m.Inner == "a.zip!/x.txt" {
			got = append(got, m.Indexes)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]int{{0, 0}, {1, 0}}, got); diff != "" {
		t.Errorf("indexes (-want +got):\n%s", diff)
	}
}
