package ntfs

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
	"github.com/winnow-forensics/winnow/triage/disk/fsys/fsystest"
)

// skipSystem leaves out what TSK lists and Winnow does not: the NTFS
// metadata files and the nameless reserved entries 16-23.
func skipSystem(p string) bool {
	return strings.HasPrefix(p, "$") && !strings.HasPrefix(p, "$OrphanFiles/") ||
		strings.HasPrefix(p, "$OrphanFiles/OrphanFile-")
}

func mustGunzip(tb testing.TB, name string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), strings.TrimSuffix(name, ".gz"))
	os.WriteFile(p, fsystest.Gunzip(tb, filepath.Join("testdata", name)), 0o600)
	return p
}

func mustOpen(tb testing.TB, img string) *FS {
	tb.Helper()
	f, err := os.Open(img)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	fi, _ := f.Stat()
	fs, err := Open(f, fi.Size(), fsys.Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	return fs
}

func TestNestedAgainstTSK(t *testing.T) {
	img := mustGunzip(t, "nested.img.gz")
	fs := mustOpen(t, img)
	unread, extra := fsystest.Compare(t, fs, img, 0, skipSystem)
	if len(unread) > 0 {
		t.Errorf("files TSK reads and we do not: %v", unread)
	}
	if len(extra) > 0 {
		t.Errorf("walked files TSK does not list: %v", extra)
	}
	got := fsystest.WalkAll(t, fs)
	for path, deleted := range map[string]bool{
		"Users/x/Pictures/a.jpg":                 false,
		"Users/x/Pictures/a.jpg:Zone.Identifier": false,
		"Users/x/Pictures/b.png":                 false, // resident
		"Users/x/Pictures/deleted.jpg":           true,
		"Users/x/Old/inside.jpg":                 true,
		"frag/d.bin":                             false,
	} {
		l := got[path]
		if len(l) != 1 || l[0].File.Deleted != deleted || l[0].Err != nil {
			t.Errorf("%s: %+v, want one readable file, deleted %v", path, l, deleted)
			continue
		}
		if l[0].File.Times.Modified.IsZero() || l[0].File.Times.Created.IsZero() {
			t.Errorf("%s: no timestamps", path)
		}
	}
}

// builder makes flat NTFS volumes with mkntfs and ntfscp, without root.
type builder struct {
	tb       testing.TB
	img, dir string
	rng      *rand.Rand
}

func newVolume(tb testing.TB, mib int) *builder {
	tb.Helper()
	dir := tb.TempDir()
	b := &builder{tb: tb, img: filepath.Join(dir, "ntfs.img"), dir: dir, rng: rand.New(rand.NewSource(int64(mib)))}
	os.WriteFile(b.img, nil, 0o600)
	os.Truncate(b.img, int64(mib)<<20)
	b.run("mkntfs", "-F", "-q", "-Q", b.img)
	return b
}

func (b *builder) run(name string, args ...string) {
	b.tb.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		b.tb.Fatalf("%s %v (Debian ntfs-3g): %v\n%s", name, args, err, out)
	}
}

func (b *builder) put(name string, n int, stream string) []byte {
	data := make([]byte, n)
	b.rng.Read(data)
	src := filepath.Join(b.dir, "src")
	os.WriteFile(src, data, 0o600)
	args := []string{"-q"}
	if stream != "" {
		args = append(args, "-N", stream)
	}
	b.run("ntfscp", append(args, b.img, src, name)...)
	return data
}

// markDeleted clears the in-use flag of the MFT entry of name, as a
// deletion does (the run list and $FILE_NAME stay).
func (b *builder) markDeleted(fs *FS, name string) {
	b.tb.Helper()
	var id uint64
	fs.Walk(context.Background(), func(f *fsys.File) error {
		if f.Path == name {
			id = f.ID
		}
		return nil
	})
	if id == 0 {
		b.tb.Fatalf("%s not found", name)
	}
	img, _ := os.ReadFile(b.img)
	off := fs.recordOffset(int64(id))
	img[off+22] &^= flagInUse
	os.WriteFile(b.img, img, 0o600)
}

func TestFlatAgainstTSK(t *testing.T) {
	b := newVolume(t, 8)
	b.put("big.jpg", 200000, "")
	b.put("resident.txt", 400, "")
	b.put("edge.bin", 700, "") // near the resident limit
	b.put("big.jpg", 3000, "thumb")
	fs := mustOpen(t, b.img)
	unread, extra := fsystest.Compare(t, fs, b.img, 0, skipSystem)
	if len(unread) > 0 || len(extra) > 0 {
		t.Errorf("unread %v, extra %v", unread, extra)
	}
	got := fsystest.WalkAll(t, fs)
	if l := got["big.jpg:thumb"]; len(l) != 1 || l[0].File.Stream != "thumb" {
		t.Errorf("big.jpg:thumb: %+v", l)
	}
}

// TestDeletedEntry clears an entry's in-use flag by hand. The parent's
// index still names the entry (a real deletion removes it), a state TSK
// lists under $OrphanFiles; Winnow lists it under its parent, deleted,
// with its bytes.
func TestDeletedEntry(t *testing.T) {
	b := newVolume(t, 8)
	data := b.put("gone.jpg", 30000, "")
	b.markDeleted(mustOpen(t, b.img), "gone.jpg")
	got := fsystest.WalkAll(t, mustOpen(t, b.img))
	l := got["gone.jpg"]
	if len(l) != 1 || !l[0].File.Deleted || l[0].Err != nil || l[0].MD5 != fmt.Sprintf("%x", md5.Sum(data)) {
		t.Errorf("gone.jpg: %+v", l)
	}
}

func TestUnallocated(t *testing.T) {
	b := newVolume(t, 8)
	b.put("a.bin", 100000, "")
	fs := mustOpen(t, b.img)
	var free int64
	var last fsys.Extent
	err := fs.Unallocated(context.Background(), func(e fsys.Extent) error {
		if e.Off < last.End() {
			t.Errorf("extent %+v after %+v", e, last)
		}
		last = e
		free += e.Len
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// blkls lists the unallocated clusters too: same byte count.
	out, err := exec.Command("blkls", "-l", b.img).Output()
	if err != nil {
		t.Fatal(err)
	}
	var tskFree int64
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Split(line, "|"); len(f) == 2 && f[1] == "f" {
			tskFree++
		}
	}
	if tskFree*fs.clusterSize != free {
		t.Errorf("free %d bytes, TSK %d clusters of %d", free, tskFree, fs.clusterSize)
	}
}

// TestCorruptRecords damages entries in many ways; the walk must go on and
// every other file stay readable.
func TestCorruptRecords(t *testing.T) {
	b := newVolume(t, 8)
	for i := 0; i < 20; i++ {
		b.put("f"+strings.Repeat("x", i)+".bin", 5000+i*1000, "")
	}
	fs := mustOpen(t, b.img)
	img, _ := os.ReadFile(b.img)
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 200; i++ {
		bad := append([]byte(nil), img...)
		for k := 0; k < 10; k++ {
			off := fs.recordOffset(int64(24+rng.Intn(60))) + int64(rng.Intn(int(fs.recordSize)))
			bad[off] = byte(rng.Intn(256))
		}
		fs2, err := Open(bytes.NewReader(bad), int64(len(bad)), fsys.Limits{})
		if err != nil {
			continue
		}
		fs2.Walk(context.Background(), func(f *fsys.File) error {
			if r, err := fs2.Open(f); err == nil {
				io.Copy(io.Discard, io.NewSectionReader(r, 0, min(f.Size, 1<<22)))
			}
			return nil
		})
	}
}

// TestCompressedAgainstTSK reads NTFS-compressed (LZNT1) files written by
// the ntfs-3g driver into a compressed folder: compressible text, stored
// random data, zero runs, a resident file.
func TestCompressedAgainstTSK(t *testing.T) {
	img := mustGunzip(t, "compressed.img.gz")
	fs := mustOpen(t, img)
	unread, extra := fsystest.Compare(t, fs, img, 0, skipSystem)
	if len(unread) > 0 || len(extra) > 0 {
		t.Errorf("unread %v, extra %v", unread, extra)
	}
	got := fsystest.WalkAll(t, fs)
	if l := got["z/text.txt"]; len(l) != 1 || l[0].File.Unit == 0 {
		t.Errorf("z/text.txt: %+v, want a compressed stream", l)
	}
}
