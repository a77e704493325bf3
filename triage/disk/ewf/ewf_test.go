package ewf

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"errors"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// media returns n bytes that are part random (incompressible), part
// repetitive and part zero, so that ewfacquire stores chunks both ways.
func media(n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(int64(n))).Read(b[:n/3])
	for i := n / 3; i < 2*n/3; i++ {
		b[i] = byte(i % 251)
	}
	return b
}

// mustAcquire writes data to a raw file and acquires it with ewfacquire
// into segments of segBytes; it returns the segment paths in order.
func mustAcquire(tb testing.TB, data []byte, args ...string) []string {
	tb.Helper()
	dir := tb.TempDir()
	src := filepath.Join(dir, "src.raw")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command("ewfacquire", append(append([]string{"-u", "-q", "-t", filepath.Join(dir, "img")}, args...), src)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("ewfacquire (Debian ewf-tools; scripts/services.sh installs it): %v\n%s", err, out)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "img.[Ee]*"))
	sort.Strings(segs)
	if len(segs) == 0 {
		tb.Fatal("ewfacquire wrote no segments")
	}
	return segs
}

func mustOpen(tb testing.TB, paths []string) *Image {
	tb.Helper()
	im, err := Open(segments(tb, paths))
	if err != nil {
		tb.Fatal(err)
	}
	return im
}

func segments(tb testing.TB, paths []string) []Segment {
	var segs []Segment
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { f.Close() })
		fi, _ := f.Stat()
		segs = append(segs, Segment{R: f, Size: fi.Size(), Name: filepath.Base(p)})
	}
	return segs
}

func TestReadEqualsSource(t *testing.T) {
	data := media(3<<20 + 12345*512/512*512)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"encase6-fast-segmented", []string{"-f", "encase6", "-c", "deflate:fast", "-S", "1MiB", "-d", "sha1"}},
		{"encase7-best", []string{"-f", "encase7", "-c", "deflate:best", "-d", "sha1"}},
		{"encase6-none", []string{"-f", "encase6", "-c", "none", "-S", "1MiB"}},
		{"ftk-empty-block", []string{"-f", "ftk", "-c", "empty-block"}},
		{"encase5-big-chunks", []string{"-f", "encase5", "-b", "256", "-c", "deflate:fast"}},
		{"encase2", []string{"-f", "encase2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			segs := mustAcquire(t, data, tc.args...)
			// Segments may be given in any order.
			for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
				segs[i], segs[j] = segs[j], segs[i]
			}
			im := mustOpen(t, segs)
			if im.Size() != int64(len(data)) {
				t.Fatalf("size %d, want %d", im.Size(), len(data))
			}
			got, err := io.ReadAll(io.NewSectionReader(im, 0, im.Size()))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatal("bytes differ from the source")
			}
			// Unaligned reads across chunk borders.
			p := make([]byte, 100000)
			if _, err := im.ReadAt(p, 32768-7); err != nil || !bytes.Equal(p, data[32768-7:32768-7+100000]) {
				t.Fatalf("unaligned read: %v", err)
			}
			m := md5.Sum(data)
			if s := im.StoredMD5(); s != nil && !bytes.Equal(s, m[:]) {
				t.Errorf("stored MD5 %x, want %x", s, m)
			}
			if im.StoredMD5() == nil {
				t.Errorf("no stored MD5")
			}
			if tc.args[len(tc.args)-1] == "sha1" {
				h := sha1.Sum(data)
				if !bytes.Equal(im.StoredSHA1(), h[:]) {
					t.Errorf("stored SHA-1 %x, want %x", im.StoredSHA1(), h)
				}
			}
		})
	}
}

func TestMissingAndTruncatedSegments(t *testing.T) {
	data := media(3 << 20)
	segs := mustAcquire(t, data, "-f", "encase6", "-c", "none", "-S", "1MiB")
	if len(segs) < 3 {
		t.Fatalf("want at least 3 segments, got %d", len(segs))
	}
	if _, err := Open(segments(t, []string{segs[0], segs[2]})); err == nil {
		t.Error("a gap in the segment numbers was accepted")
	}
	// Without the last segment: the image opens, the chunks of the first
	// segments read, past them a ChunkError.
	im := mustOpen(t, segs[:len(segs)-1])
	p := make([]byte, 4096)
	if _, err := im.ReadAt(p, 0); err != nil || !bytes.Equal(p, data[:4096]) {
		t.Fatalf("first chunk: %v", err)
	}
	if _, err := io.ReadAll(io.NewSectionReader(im, 0, int64(len(data)))); err == nil {
		t.Error("reading an image without its last segment gave no error")
	}
	// A segment cut short: its section chain is broken.
	raw, _ := os.ReadFile(segs[1])
	cut := filepath.Join(t.TempDir(), filepath.Base(segs[1]))
	os.WriteFile(cut, raw[:len(raw)/2], 0o600)
	_, err := Open(segments(t, []string{segs[0], cut, segs[2]}))
	if err == nil {
		t.Error("a truncated segment was accepted")
	}
}

func TestDamagedChunk(t *testing.T) {
	data := media(1 << 20)
	segs := mustAcquire(t, data, "-f", "encase6", "-c", "none")
	raw, _ := os.ReadFile(segs[0])
	// Flip a byte of the data (find it by content).
	i := bytes.Index(raw, data[100000:100064])
	if i < 0 {
		t.Fatal("chunk data not found in the segment")
	}
	raw[i+10] ^= 0xff
	bad := filepath.Join(t.TempDir(), "bad.E01")
	os.WriteFile(bad, raw, 0o600)
	im := mustOpen(t, []string{bad})
	_, err := io.ReadAll(io.NewSectionReader(im, 0, im.Size()))
	var ce *ChunkError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a ChunkError", err)
	}
	if ce.Offset > 100000 || ce.Offset+ce.Length < 100010 {
		t.Errorf("chunk error at %d+%d does not cover the damage", ce.Offset, ce.Length)
	}
}

func TestVersion2Refused(t *testing.T) {
	b := append([]byte(nil), sigV2...)
	b = append(b, make([]byte, 64)...)
	_, err := Open([]Segment{{R: bytes.NewReader(b), Size: int64(len(b)), Name: "x.Ex01"}})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("version 2")) {
		t.Fatalf("got %v", err)
	}
}
