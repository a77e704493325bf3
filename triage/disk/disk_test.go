package disk

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
	"github.com/winnow-forensics/winnow/triage/disk/fsys/fsystest"
)

func run(tb testing.TB, name string, args ...string) {
	tb.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

const mib = 1 << 20

// layout is the test disk: partition number, start and size in MiB, and
// what it holds.
var layout = []struct {
	n           int
	start, size int64
	typ         string
}{
	{1, 1, 20, "c"},   // FAT16
	{6, 23, 12, "83"}, // ext4, logical
	{7, 37, 4, "7"},   // NTFS, logical
	{5, 42, 2, "7"},   // "BitLocker", logical (first in the chain)
}

// mustDisk builds a 48 MiB MBR disk with FAT16, ext4 and NTFS partitions
// (two of them logical, in an extended partition) and a BitLocker
// signature, all without root.
func mustDisk(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	img := filepath.Join(dir, "disk.img")
	os.WriteFile(img, nil, 0o600)
	os.Truncate(img, 48*mib)
	script := "label: dos\nstart=2048,size=40960,type=c\nstart=43008,size=55296,type=5\nstart=86016,size=4096,type=7\n" +
		"start=47104,size=24576,type=83\nstart=75776,size=8192,type=7\n"
	cmd := exec.Command("sfdisk", "-q", img)
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("sfdisk: %v\n%s", err, out)
	}
	rng := rand.New(rand.NewSource(9))
	file := func(n int) string {
		p := filepath.Join(dir, fmt.Sprintf("f%d", rng.Int()))
		b := make([]byte, n)
		rng.Read(b)
		os.WriteFile(p, b, 0o600)
		return p
	}
	// FAT32
	fat := filepath.Join(dir, "fat.img")
	run(tb, "mkfs.fat", "-C", "-F", "16", fat, "20480")
	run(tb, "mmd", "-i", fat, "::/DCIM")
	run(tb, "mcopy", "-i", fat, file(50000), "::/DCIM/IMG_0001.JPG")
	run(tb, "mcopy", "-i", fat, file(3000), "::/DCIM/gone.jpg")
	run(tb, "mdel", "-i", fat, "::/DCIM/gone.jpg")
	// ext4
	root := filepath.Join(dir, "root")
	os.MkdirAll(filepath.Join(root, "home/x"), 0o755)
	os.Rename(file(40000), filepath.Join(root, "home/x/photo.jpg"))
	ext := filepath.Join(dir, "ext.img")
	run(tb, "mkfs.ext4", "-q", "-F", "-d", root, ext, "12288")
	// NTFS: the ntfs package's volume with deleted files and ADS.
	ntfs := filepath.Join(dir, "ntfs.img")
	g, _ := os.Open("ntfs/testdata/nested.img.gz")
	z, err := gzip.NewReader(g)
	if err != nil {
		tb.Fatal(err)
	}
	b, _ := io.ReadAll(z)
	g.Close()
	os.WriteFile(ntfs, b, 0o600)
	bl := make([]byte, 4096)
	copy(bl, "\xeb\x58\x90-FVE-FS-")
	bl[510], bl[511] = 0x55, 0xaa
	blp := filepath.Join(dir, "bl.img")
	os.WriteFile(blp, bl, 0o600)

	out, _ := os.OpenFile(img, os.O_RDWR, 0)
	defer out.Close()
	for _, p := range []struct {
		src string
		at  int64
	}{{fat, 2048 * 512}, {ext, 47104 * 512}, {ntfs, 75776 * 512}, {blp, 86016 * 512}} {
		b, _ := os.ReadFile(p.src)
		out.WriteAt(b, p.at)
	}
	return img
}

type seen struct {
	md5     string
	deleted bool
	err     error
}

func walkAll(tb testing.TB, r io.ReaderAt, size int64) (map[string]seen, Stats) {
	tb.Helper()
	got := map[string]seen{}
	st, err := Walk(context.Background(), r, size, Options{}, func(e *Entry, rd io.Reader) error {
		s := seen{deleted: e.Origin.Deleted, err: e.Err}
		if rd != nil {
			h := md5.New()
			if _, err := io.Copy(h, rd); err != nil {
				s.err = err
			}
			s.md5 = fmt.Sprintf("%x", h.Sum(nil))
		}
		got[e.Inner] = s
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return got, st
}

func TestWalkAgainstTSK(t *testing.T) {
	img := mustDisk(t)
	f, _ := os.Open(img)
	defer f.Close()
	got, st := walkAll(t, f, 48*mib)
	if st.Volumes != 4 || st.Read != 3 {
		t.Errorf("stats %+v, want 4 volumes, 3 read", st)
	}
	if s, ok := got["p5"]; !ok || s.err == nil || !strings.Contains(s.err.Error(), "BitLocker") {
		t.Errorf("p5: %+v, want a BitLocker error", s)
	}
	skip := func(p string) bool {
		return strings.HasPrefix(p, "$") && !strings.HasPrefix(p, "$OrphanFiles/") || strings.HasPrefix(p, "$OrphanFiles/OrphanFile-")
	}
	n := 0
	for _, l := range layout[:3] {
		sector := l.start * mib / 512
		if l.n == 6 {
			sector = 47104
		} else if l.n == 7 {
			sector = 75776
		}
		for _, w := range fsystest.Fls(t, img, sector, skip) {
			inner := fmt.Sprintf("p%d/%s", l.n, w.Path)
			if strings.HasSuffix(w.Path, "(Volume Label Entry)") {
				continue
			}
			g, ok := got[inner]
			n++
			if !ok {
				t.Errorf("%s: not walked", inner)
				continue
			}
			if g.deleted != w.Deleted {
				t.Errorf("%s: deleted %v, TSK %v", inner, g.deleted, w.Deleted)
			}
			if g.err == nil && g.md5 != fmt.Sprintf("%x", md5.Sum(fsystest.Icat(t, img, sector, w.Addr))) {
				t.Errorf("%s: bytes differ from icat", inner)
			}
		}
	}
	if n < 15 {
		t.Errorf("only %d files compared", n)
	}
	for _, want := range []string{"p1/DCIM/IMG_0001.JPG", "p1/DCIM/_one.jpg", "p6/home/x/photo.jpg", "p7/Users/x/Pictures/a.jpg:Zone.Identifier", "p7/Users/x/Old/inside.jpg"} {
		if _, ok := got[want]; !ok {
			t.Errorf("%s not walked", want)
		}
	}
}

// TestContainers reads the same disk as EWF (two segments) and as a split
// raw image: the same entries with the same bytes, and the EWF verifies.
func TestContainers(t *testing.T) {
	img := mustDisk(t)
	f, _ := os.Open(img)
	want, _ := walkAll(t, f, 48*mib)
	f.Close()
	dir := t.TempDir()
	run(t, "ewfacquire", "-u", "-q", "-t", filepath.Join(dir, "laptop"), "-f", "encase6", "-c", "none", "-S", "20MiB", "-d", "sha1", img)
	run(t, "split", "-b", "7000000", "-d", "-a", "3", "--numeric-suffixes=1", img, filepath.Join(dir, "usb."))
	for _, p := range []string{"laptop.E01", "usb.001"} {
		im, err := Open(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if len(im.Segments) < 2 {
			t.Errorf("%s: %d segments, want several", p, len(im.Segments))
		}
		got, _ := walkAll(t, im, im.Size())
		if len(got) != len(want) {
			t.Errorf("%s: %d entries, raw %d", p, len(got), len(want))
		}
		for k, w := range want {
			if g := got[k]; g.md5 != w.md5 || g.deleted != w.deleted {
				t.Errorf("%s: %s differs: %+v vs %+v", p, k, g, w)
			}
		}
		if im.Format == "ewf" {
			if err := im.Verify(context.Background(), nil); err != nil {
				t.Errorf("verify: %v", err)
			}
		}
		im.Close()
	}
	// A segment with a damaged chunk: verification fails.
	seg := filepath.Join(dir, "laptop.E01")
	b, _ := os.ReadFile(seg)
	b[len(b)/2] ^= 0x55
	os.WriteFile(seg, b, 0o600)
	im, err := Open(seg)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	if err := im.Verify(context.Background(), nil); err == nil {
		t.Error("a damaged image verified")
	}
}

// TestHostileTable points partitions outside the image and loops the
// extended chain: the walk reports them and goes on.
func TestHostileTable(t *testing.T) {
	img := mustDisk(t)
	b, _ := os.ReadFile(img)
	// Slot 3: a partition starting far past the end of the image.
	e := b[446+32:]
	e[4] = 0x07
	binary.LittleEndian.PutUint32(e[8:], 1<<31)
	binary.LittleEndian.PutUint32(e[12:], 1<<20)
	got, st := walkAll(t, bytes.NewReader(b), int64(len(b)))
	if s, ok := got["p3"]; !ok || s.err == nil {
		t.Errorf("p3: %+v, want an error", s)
	}
	if st.Read != 3 {
		t.Errorf("%d volumes read, want 3", st.Read)
	}
}

func TestUnallocatedAndCarveHook(t *testing.T) {
	img := mustDisk(t)
	f, _ := os.Open(img)
	defer f.Close()
	var names []string
	var free = map[string]int64{}
	_, err := Walk(context.Background(), f, 48*mib, Options{Carve: func(ctx context.Context, v *Volume, emit VisitFunc) error {
		var first fsys.Extent
		err := v.Unallocated(ctx, func(e fsys.Extent) error {
			if first.Len == 0 {
				first = e
			}
			free[v.Name] += e.Len
			return nil
		})
		if err != nil {
			return err
		}
		names = append(names, v.Name)
		if first.Len > 0 {
			e := v.CarvedEntry(first.Off, 4, "jpg")
			return emit(e, bytes.NewReader([]byte("test")))
		}
		return nil
	}}, func(e *Entry, r io.Reader) error {
		if e.Origin.Carved && !strings.Contains(e.Inner, "$Unallocated/0x") {
			t.Errorf("carved entry %q", e.Inner)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	if strings.Join(names, ",") != ",p1,p6,p7" {
		t.Errorf("carve called for %v, want the gaps and p1, p6, p7", names)
	}
	if free[""] < 1*mib || free["p1"] <= 0 || free["p6"] <= 0 || free["p7"] <= 0 {
		t.Errorf("free %v", free)
	}
}

func TestSegmentNames(t *testing.T) {
	for n, want := range map[int]string{1: "E01", 99: "E99", 100: "EAA", 101: "EAB", 775: "EZZ", 776: "FAA"} {
		if got := ewfSegmentExt(n, "E01"); got != want {
			t.Errorf("segment %d: %s, want %s", n, got, want)
		}
		if got := ewfSegmentNumber(want); got != n {
			t.Errorf("%s: segment %d, want %d", want, got, n)
		}
	}
	dir := t.TempDir()
	for _, n := range []string{"usb.001", "usb.002", "lone.002", "a.jpg", "a.exe"} {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600)
	}
	for n, want := range map[string]bool{"usb.001": false, "usb.002": true, "lone.002": false, "a.jpg": false, "a.exe": false} {
		if got := IsLaterSegment(filepath.Join(dir, n)); got != want {
			t.Errorf("IsLaterSegment(%s) = %v", n, got)
		}
	}
}

// TestHugeClaimedSize gives a file on an ext4 volume a size of 1 TiB: it
// is listed with an error instead of being read as a terabyte of zeros.
func TestHugeClaimedSize(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "root"), 0o755)
	os.WriteFile(filepath.Join(dir, "root", "a.jpg"), make([]byte, 5000), 0o644)
	img := filepath.Join(dir, "ext.img")
	run(t, "mkfs.ext4", "-q", "-F", "-d", filepath.Join(dir, "root"), img, "8192")
	run(t, "debugfs", "-w", "-R", "sif /a.jpg size 1099511627776", img)
	f, _ := os.Open(img)
	defer f.Close()
	got, _ := walkAll(t, f, 8192*1024)
	if s := got["a.jpg"]; s.err == nil || !strings.Contains(s.err.Error(), "more than its volume holds") {
		t.Errorf("a.jpg: %+v, want an error", s)
	}
}

// TestWholeImageCarvedNames: with WholeImage, a carved item is named by
// the region it starts in: a volume's free space, a file of the volume,
// or the space outside the partitions.
func TestWholeImageCarvedNames(t *testing.T) {
	img := mustDisk(t)
	f, _ := os.Open(img)
	defer f.Close()
	var file int64 = -1 // image offset of a file's content
	var free int64 = -1 // image offset of p1's free space
	for _, v := range Volumes(f, 48*mib, fsys.Limits{}) {
		if v.Name == "p1" {
			v.Unallocated(context.Background(), func(e fsys.Extent) error {
				if free < 0 {
					free = v.Offset + e.Off
				}
				return nil
			})
		}
	}
	if _, err := Walk(context.Background(), f, 48*mib, Options{}, func(e *Entry, r io.Reader) error {
		if e.Inner == "p1/DCIM/IMG_0001.JPG" {
			file = e.Origin.Offset
		}
		return nil
	}); err != nil || file < 0 || free < 0 {
		t.Fatalf("file at %d, free space at %d: %v", file, free, err)
	}
	const p1 = 2048 * 512
	want := map[int64]string{
		free:      fmt.Sprintf("p1/$Unallocated/0x%x.jpg", free-p1),
		file:      fmt.Sprintf("p1/$Allocated/0x%x.jpg", file-p1),
		100 * 512: fmt.Sprintf("$Unallocated/0x%x.jpg", 100*512),
	}
	got := map[int64]string{}
	_, err := Walk(context.Background(), f, 48*mib, Options{WholeImage: true, Carve: func(ctx context.Context, v *Volume, emit VisitFunc) error {
		for off := range want {
			if err := emit(v.CarvedEntry(off, 4, "jpg"), bytes.NewReader([]byte("test"))); err != nil {
				return err
			}
		}
		return nil
	}}, func(e *Entry, r io.Reader) error {
		if e.Origin.Carved {
			got[e.Origin.Offset] = e.Inner
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("names %v, want %v", got, want)
	}
}
