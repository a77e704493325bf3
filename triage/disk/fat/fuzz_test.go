package fat

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
)

// FuzzWalk opens any bytes as a FAT volume, walks it, reads every file
// (at most 1 MiB each) and lists the free space: no panic, bounded work.
func FuzzWalk(f *testing.F) {
	seed, err := os.ReadFile("testdata/seed.img")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, err := Open(bytes.NewReader(b), int64(len(b)), fsys.Limits{MaxFiles: 10000})
		if err != nil {
			return
		}
		fs.Walk(context.Background(), func(fl *fsys.File) error {
			if r, err := fs.Open(fl); err == nil {
				io.Copy(io.Discard, io.NewSectionReader(r, 0, min(fl.Size, 1<<20)))
			}
			return nil
		})
		fs.Unallocated(context.Background(), func(fsys.Extent) error { return nil })
	})
}
