package ewf

import (
	"bytes"
	"io"
	"os"
	"testing"
)

// FuzzOpen opens one segment of any bytes and reads what it claims to
// hold (at most 1 MiB from the start and the last chunk): no panic, no
// unbounded allocation, no hang.
func FuzzOpen(f *testing.F) {
	seed, err := os.ReadFile("testdata/small.E01")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, b []byte) {
		im, err := Open([]Segment{{R: bytes.NewReader(b), Size: int64(len(b)), Name: "fuzz.E01"}})
		if err != nil {
			return
		}
		io.Copy(io.Discard, io.NewSectionReader(im, 0, min(im.Size(), 1<<20)))
		p := make([]byte, 4096)
		im.ReadAt(p, max(0, im.Size()-int64(len(p))))
	})
}
