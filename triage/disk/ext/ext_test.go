package ext

import (
	"bytes"
	"context"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
	"github.com/winnow-forensics/winnow/triage/disk/fsys/fsystest"
)

// mustMkfs makes an ext image of kib KiB from a folder tree (mkfs -d, no
// root needed) and deletes paths with debugfs.
func mustMkfs(tb testing.TB, kind string, kib int, extra []string, del ...string) string {
	tb.Helper()
	dir := tb.TempDir()
	root := filepath.Join(dir, "root")
	rng := rand.New(rand.NewSource(42))
	put := func(p string, n int) {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		b := make([]byte, n)
		rng.Read(b)
		os.WriteFile(full, b, 0o644)
	}
	put("home/x/Pictures/a.jpg", 70000)
	put("home/x/Pictures/small.png", 40)
	put("home/x/Pictures/Ünïcödé.jpg", 3000)
	put("home/x/big.bin", 5<<20) // indirect blocks on ext2/3, several extents on ext4
	put("home/x/gone.jpg", 30000)
	put("home/x/old/inside.jpg", 9000)
	put("empty.txt", 0)
	put("deep/a/b/c/d/e/f.txt", 10)
	img := filepath.Join(dir, kind+".img")
	args := append([]string{"-q", "-F", "-d", root}, extra...)
	args = append(args, img, itoa(kib))
	if out, err := exec.Command("mkfs."+kind, args...).CombinedOutput(); err != nil {
		tb.Fatalf("mkfs.%s (Debian e2fsprogs): %v\n%s", kind, err, out)
	}
	for _, p := range del {
		if out, err := exec.Command("debugfs", "-w", "-R", "rm "+p, img).CombinedOutput(); err != nil {
			tb.Fatalf("debugfs rm %s: %v\n%s", p, err, out)
		}
	}
	return img
}

func itoa(n int) string {
	b := []byte{}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
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

func TestAgainstTSK(t *testing.T) {
	for _, kind := range []string{"ext2", "ext3", "ext4"} {
		t.Run(kind, func(t *testing.T) {
			img := mustMkfs(t, kind, 16384, nil, "/home/x/gone.jpg", "/home/x/old/inside.jpg")
			fs := mustOpen(t, img)
			if fs.Type() != kind {
				t.Errorf("type %s, want %s", fs.Type(), kind)
			}
			skip := func(p string) bool { return len(p) > 0 && p[0] == '$' }
			unread, extra := fsystest.Compare(t, fs, img, 0, skip)
			for _, u := range unread {
				if !u.Deleted {
					t.Errorf("allocated %s not read", u.Path)
				}
			}
			if len(extra) > 0 {
				t.Errorf("walked files TSK does not list: %v", extra)
			}
			got := fsystest.WalkAll(t, fs)
			l := got["home/x/gone.jpg"]
			if len(l) != 1 || !l[0].File.Deleted {
				t.Errorf("home/x/gone.jpg: %+v, want listed as deleted", l)
			}
			if kind == "ext2" && (len(l) != 1 || l[0].File.Size != 30000 || l[0].Err != nil) {
				t.Errorf("ext2 keeps a deleted file's blocks: want it readable, got %+v", l)
			}
			if a := got["home/x/Pictures/a.jpg"]; len(a) != 1 || a[0].File.Times.Modified.IsZero() {
				t.Errorf("a.jpg: %+v", a)
			}
		})
	}
}

func TestUnallocated(t *testing.T) {
	img := mustMkfs(t, "ext4", 16384, nil)
	fs := mustOpen(t, img)
	var free int64
	if err := fs.Unallocated(context.Background(), func(e fsys.Extent) error { free += e.Len; return nil }); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("blkls", "-l", img).Output()
	if err != nil {
		t.Fatal(err)
	}
	n := int64(bytes.Count(out, []byte("|f\n")))
	if n*fs.bs != free {
		t.Errorf("free %d bytes, TSK %d blocks of %d", free, n, fs.bs)
	}
}

// TestDirectoryLoop makes a subdirectory's entry point back at the root.
func TestDirectoryLoop(t *testing.T) {
	img := mustMkfs(t, "ext4", 16384, nil)
	if out, err := exec.Command("debugfs", "-w", "-R", "ln / /home/x/loop", img).CombinedOutput(); err != nil {
		t.Fatalf("debugfs: %v\n%s", err, out)
	}
	fs := mustOpen(t, img)
	n := 0
	fs.Walk(context.Background(), func(f *fsys.File) error { n++; return nil })
	if n > 20 {
		t.Errorf("walked %d files: the loop was followed", n)
	}
}

func TestCorrupt(t *testing.T) {
	img := mustMkfs(t, "ext4", 8192, nil)
	b, _ := os.ReadFile(img)
	rng := rand.New(rand.NewSource(3))
	fs := mustOpen(t, img)
	table := fs.groups[0].inodeTable * fs.bs
	for i := 0; i < 200; i++ {
		bad := append([]byte(nil), b...)
		for k := 0; k < 8; k++ {
			bad[table+int64(rng.Intn(int(fs.inodeSize*32)))] = byte(rng.Intn(256))
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
