package ntfs

import (
	"bytes"
	"io"
	"testing"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
	"github.com/winnow-forensics/winnow/triage/disk/fsys/fsystest"
)

func seedVolume(f *testing.F) []byte { return fsystest.Gunzip(f, "testdata/nested.img.gz") }

// FuzzRecord parses one MFT entry of any bytes the way the walk does:
// fixups, attributes, names, run lists.
func FuzzRecord(f *testing.F) {
	vol := seedVolume(f)
	fs, err := Open(bytes.NewReader(vol), int64(len(vol)), fsys.Limits{})
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range []int64{0, 5, 64, 67, 68, 70} {
		off := fs.recordOffset(n)
		f.Add(append([]byte(nil), vol[off:off+fs.recordSize]...))
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		if int64(len(rec)) != fs.recordSize {
			return
		}
		if fs.fixup(rec) != nil {
			return
		}
		e := fs.entry(64, rec, nil)
		for _, s := range e.streams {
			fl := &fsys.File{Size: s.size}
			fs.content(fl, s)
			if r, err := fs.Open(fl); err == nil {
				io.Copy(io.Discard, io.NewSectionReader(r, 0, min(fl.Size, 1<<20)))
			}
		}
	})
}

// FuzzVolume damages the first 64 KiB of the seed volume's MFT (the
// system files and the first user entries: a small input keeps the fuzzer
// fast), then opens the volume, walks it, reads what it lists (at most
// 1 MiB a file) and its free space.
func FuzzVolume(f *testing.F) {
	vol := seedVolume(f)
	fs, err := Open(bytes.NewReader(vol), int64(len(vol)), fsys.Limits{})
	if err != nil {
		f.Fatal(err)
	}
	at := fs.recordOffset(0)
	f.Add(append([]byte(nil), vol[at:at+64<<10]...))
	f.Fuzz(func(t *testing.T, patch []byte) {
		b := append([]byte(nil), vol...)
		copy(b[at:at+64<<10], patch)
		if fs, err := Open(bytes.NewReader(b), int64(len(b)), fsys.Limits{MaxFiles: 10000}); err == nil {
			fsystest.Exercise(fs)
		}
	})
}

// FuzzLZNT1 decompresses any bytes into a 64 KiB unit.
func FuzzLZNT1(f *testing.F) {
	f.Add([]byte{0x05, 0xb0, 0x00, 'a', 'b', 'c', 0x00, 0x00})
	f.Add([]byte{0x0a, 0xb0, 0x04, 'a', 'b', 0x01, 0x10, 'c', 0, 0})
	out := make([]byte, 64<<10)
	f.Fuzz(func(t *testing.T, in []byte) {
		if n, _ := lznt1(in, out); n > len(out) {
			t.Fatalf("wrote %d bytes", n)
		}
	})
}
