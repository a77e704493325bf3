package ext

import (
	"bytes"
	"testing"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
	"github.com/winnow-forensics/winnow/triage/disk/fsys/fsystest"
)

// FuzzWalk opens any bytes as an ext volume, walks it, reads every file
// (at most 1 MiB) and its free space.
func FuzzWalk(f *testing.F) {
	f.Add(fsystest.Gunzip(f, "testdata/seed-ext2.img.gz"))
	f.Add(fsystest.Gunzip(f, "testdata/seed-ext4.img.gz"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if fs, err := Open(bytes.NewReader(b), int64(len(b)), fsys.Limits{MaxFiles: 10000}); err == nil {
			fsystest.Exercise(fs)
		}
	})
}
