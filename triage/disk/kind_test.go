package disk

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/hashing"
)

// TestKind expands a three-segment EWF image as the engine and the worker
// do: sniffed, detected, later segments opened by name; without its last
// segment the files before it are visited and the error says what is
// missing.
func TestKind(t *testing.T) {
	img := mustDisk(t)
	dir := t.TempDir()
	run(t, "ewfacquire", "-u", "-q", "-t", filepath.Join(dir, "laptop"), "-f", "encase6", "-c", "none", "-S", "20MiB", img)
	first, _ := os.ReadFile(filepath.Join(dir, "laptop.E01"))
	if mt := hashing.Sniff(first); mt.MIME != triage.MIMEEWF {
		t.Fatalf("first segment sniffed as %+v", mt)
	}
	if second, _ := os.ReadFile(filepath.Join(dir, "laptop.E02")); hashing.Sniff(second).MIME != triage.MIMEEWFSegment {
		t.Errorf("second segment sniffed as %+v", hashing.Sniff(second))
	}
	raw, _ := os.ReadFile(img)
	if mt := hashing.Sniff(raw[:4096]); mt.MIME != triage.MIMEDiskImage {
		t.Errorf("raw image sniffed as %+v", mt)
	}
	if f, _ := Images.Detect(triage.MediaType{MIME: triage.MIMEEWFSegment}); f != "" {
		t.Errorf("a later segment is detected as %q, want not expanded", f)
	}
	expand := func(segs ...string) (map[string]*container.Member, error) {
		open := func(name string) (io.ReaderAt, int64, error) {
			for _, s := range segs {
				if s == name {
					b, _ := os.ReadFile(filepath.Join(dir, name))
					return strings.NewReader(string(b)), int64(len(b)), nil
				}
			}
			return nil, 0, triage.Errorf(triage.ENOTFOUND, "no %s", name)
		}
		got := map[string]*container.Member{}
		_, err := Images.Expand(context.Background(), strings.NewReader(string(first)), int64(len(first)),
			container.Options{Name: "laptop.E01", Open: open}, func(m *container.Member, r io.Reader) error {
				got[m.Inner] = m
				return nil
			})
		return got, err
	}
	got, err := expand("laptop.E02", "laptop.E03")
	if err != nil {
		t.Fatal(err)
	}
	m := got["p7/Users/x/Pictures/deleted.jpg"]
	if m == nil || !m.Deleted || m.Attrs["fs"] != "ntfs" || m.Origin() == nil || m.Origin().ID == 0 {
		t.Fatalf("deleted NTFS file: %+v", m)
	}
	if o := got["p1/DCIM/IMG_0001.JPG"].Origin(); o == nil || o.Offset <= 0 || o.FS != "fat16" {
		t.Errorf("FAT file origin %+v", o)
	}
	part, err := expand("laptop.E02")
	if !errors.Is(err, ErrIncomplete) || len(part) == 0 {
		t.Errorf("without the last segment: %d members, error %v; want some and ErrIncomplete", len(part), err)
	}
}

// TestKindVerify checks an E01 against its stored digests: a damaged
// chunk fails verification, and the image's files are still read.
func TestKindVerify(t *testing.T) {
	img := mustDisk(t)
	dir := t.TempDir()
	run(t, "ewfacquire", "-u", "-q", "-t", filepath.Join(dir, "one"), "-f", "encase6", "-c", "none", "-d", "sha1", img)
	b, _ := os.ReadFile(filepath.Join(dir, "one.E01"))
	k := &Kind{Verify: true}
	expand := func(b []byte) (int, error) {
		n := 0
		_, err := k.Expand(context.Background(), strings.NewReader(string(b)), int64(len(b)), container.Options{Name: "one.E01"},
			func(*container.Member, io.Reader) error { n++; return nil })
		return n, err
	}
	if n, err := expand(b); err != nil || n < 15 {
		t.Fatalf("intact image: %d members, %v", n, err)
	}
	b[len(b)/3] ^= 0x40 // in the chunks of the first partition's free space
	n, err := expand(b)
	if err == nil || n < 15 {
		t.Errorf("damaged image: %d members, %v; want them all and an error", n, err)
	}
}
