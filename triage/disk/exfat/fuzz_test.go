package exfat

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
)

// FuzzWalk opens any bytes as an exFAT volume, walks it, reads every file
// (at most 1 MiB) and its free space.
func FuzzWalk(f *testing.F) {
	f.Add(gunzip(f, "testdata/seed.img.gz"))
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
