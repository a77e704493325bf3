package fat

import (
	"bytes"
	"os"
	"testing"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
	"github.com/winnow-forensics/winnow/triage/disk/fsys/fsystest"
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
		if fs, err := Open(bytes.NewReader(b), int64(len(b)), fsys.Limits{MaxFiles: 10000}); err == nil {
			fsystest.Exercise(fs)
		}
	})
}
