package fat

import (
	"bytes"
	"context"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
	"github.com/winnow-forensics/winnow/triage/disk/fsys/fsystest"
)

// builder makes a FAT image with mkfs.fat and mtools, without root.
type builder struct {
	tb  testing.TB
	img string
	dir string
	rng *rand.Rand
}

func newImage(tb testing.TB, fatBits string, kib int) *builder {
	tb.Helper()
	dir := tb.TempDir()
	b := &builder{tb: tb, img: filepath.Join(dir, "fat.img"), dir: dir, rng: rand.New(rand.NewSource(int64(kib)))}
	b.run("mkfs.fat", "-C", "-F", fatBits, "-n", "WINNOW", b.img, itoa(kib))
	return b
}

func itoa(n int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(n)) }

func fmtInt(n int) string {
	if n == 0 {
		return "0"
	}
	var s []byte
	for ; n > 0; n /= 10 {
		s = append([]byte{byte('0' + n%10)}, s...)
	}
	return string(s)
}

func (b *builder) run(name string, args ...string) {
	b.tb.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.tb.Fatalf("%s %v (Debian dosfstools/mtools): %v\n%s", name, args, err, out)
	}
}

// put writes a file of n random bytes at path ("DCIM/a.jpg").
func (b *builder) put(path string, n int) []byte {
	data := make([]byte, n)
	b.rng.Read(data)
	src := filepath.Join(b.dir, "src")
	os.WriteFile(src, data, 0o600)
	b.run("mcopy", "-i", b.img, src, "::/"+path)
	return data
}

func (b *builder) mkdir(path string) { b.run("mmd", "-i", b.img, "::/"+path) }
func (b *builder) del(path string)   { b.run("mdel", "-i", b.img, "::/"+path) }

func (b *builder) open() *FS {
	b.tb.Helper()
	f, err := os.Open(b.img)
	if err != nil {
		b.tb.Fatal(err)
	}
	b.tb.Cleanup(func() { f.Close() })
	fi, _ := f.Stat()
	fs, err := Open(f, fi.Size(), fsys.Limits{})
	if err != nil {
		b.tb.Fatal(err)
	}
	return fs
}

// populate fills an image the way a camera card or USB stick looks:
// nested folders, long and short names, fragmented files, deleted files
// (recoverable and overwritten), a deleted folder.
func populate(b *builder) {
	b.mkdir("DCIM")
	b.mkdir("DCIM/100CANON")
	b.mkdir("Documents and Settings")
	b.put("DCIM/100CANON/IMG_0001.JPG", 70000)
	b.put("DCIM/100CANON/IMG_0002.JPG", 4096)
	b.put("DCIM/100CANON/holiday picture with a long name.jpg", 12345)
	b.put("Documents and Settings/empty.txt", 0)
	b.put("Documents and Settings/Ünïcödé ñame.png", 3000)
	b.put("a.bin", 9000)
	b.put("b.bin", 20000)
	b.put("c.bin", 5000)
	b.del("b.bin")
	b.put("fragmented.bin", 60000) // fills b's hole, then continues after c
	b.put("reused.jpg", 8000)
	b.del("reused.jpg")
	b.put("after.bin", 30000) // takes the clusters reused.jpg had
	b.mkdir("old")
	b.put("old/inside.jpg", 5000)
	b.put("old/deleted picture.jpg", 7000)
	b.del("old/deleted picture.jpg")
	b.put("gone.jpg", 8000)
	b.del("gone.jpg") // deleted, clusters still free: recoverable
}

func TestAgainstTSK(t *testing.T) {
	for _, tc := range []struct {
		bits string
		kib  int
		want string
	}{{"12", 2000, "fat12"}, {"16", 20000, "fat16"}, {"32", 70000, "fat32"}} {
		t.Run(tc.want, func(t *testing.T) {
			b := newImage(t, tc.bits, tc.kib)
			populate(b)
			fs := b.open()
			if fs.Type() != tc.want {
				t.Fatalf("type %s, want %s", fs.Type(), tc.want)
			}
			unread, extra := fsystest.Compare(t, fs, b.img, 0, nil)
			for _, u := range unread {
				if !u.Deleted {
					t.Errorf("allocated file %s not read", u.Path)
				}
			}
			if len(extra) > 0 {
				t.Errorf("walked files TSK does not list: %v", extra)
			}
			got := fsystest.WalkAll(t, fs)
			if l := got["_one.jpg"]; len(l) != 1 || !l[0].File.Deleted || l[0].Err != nil {
				t.Errorf("_one.jpg (gone.jpg deleted): %+v, want deleted and recoverable", l)
			}
			if l := got["DCIM/100CANON/holiday picture with a long name.jpg"]; len(l) != 1 || l[0].File.Times.Modified.IsZero() {
				t.Errorf("long name: %+v", l)
			}
		})
	}
}

func TestDeletedFolder(t *testing.T) {
	b := newImage(t, "16", 20000)
	b.mkdir("trip")
	b.put("trip/beach.jpg", 6000)
	b.put("keep.bin", 1000)
	b.run("mdeltree", "-i", b.img, "::/trip")
	fs := b.open()
	fsystest.Compare(t, fs, b.img, 0, nil)
	got := fsystest.WalkAll(t, fs)
	if l := got["_rip/_each.jpg"]; len(l) != 1 || !l[0].File.Deleted {
		t.Errorf("_rip/_each.jpg: %+v, want listed as deleted (as TSK names it)", l)
	}
}

// TestCycle makes the chain of a file and of the root directory loop.
func TestCycle(t *testing.T) {
	b := newImage(t, "32", 70000)
	data := b.put("loop.bin", 20000)
	img, _ := os.ReadFile(b.img)
	fs := b.open()
	var f *fsys.File
	fs.Walk(context.Background(), func(x *fsys.File) error { f = x; return nil })
	first := uint32((f.Extents[0].Off-fs.dataOff)/fs.clusterSize) + 2
	// loop.bin's second cluster links back to its first; the root
	// directory's cluster links to itself.
	put32 := func(c, v uint32) {
		for k := int64(0); k < 2; k++ {
			o := fs.fatOff + k*fs.fatBytes + int64(c)*4
			img[o], img[o+1], img[o+2], img[o+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		}
	}
	put32(first+1, first)
	put32(fs.rootCluster, fs.rootCluster)
	fs2, err := Open(bytes.NewReader(img), int64(len(img)), fsys.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got := fsystest.WalkAll(t, fs2)
	l := got["loop.bin"]
	if len(l) != 1 || l[0].Err == nil {
		t.Fatalf("loop.bin listed %d times, want once with an error", len(l))
	}
	_ = data
}

func TestUnallocated(t *testing.T) {
	b := newImage(t, "16", 20000)
	b.put("a.bin", 10000)
	b.put("b.bin", 10000)
	b.del("a.bin")
	fs := b.open()
	var free []fsys.Extent
	if err := fs.Unallocated(context.Background(), func(e fsys.Extent) error { free = append(free, e); return nil }); err != nil {
		t.Fatal(err)
	}
	// a.bin's 5 clusters are free, b.bin's follow, then free to the end.
	if len(free) != 2 || free[0].Off != fs.dataOff || free[0].Len != 5*fs.clusterSize {
		t.Fatalf("free %+v (data at %d, clusters of %d)", free, fs.dataOff, fs.clusterSize)
	}
}
