package part

import (
	"bytes"
	"os"
	"testing"
)

// FuzzRead reads the partition table of any bytes: no panic, bounded
// work, and every partition listed is either inside the image or noted.
func FuzzRead(f *testing.F) {
	for _, s := range []string{"testdata/mbr-extended.img", "testdata/gpt.img"} {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		for _, p := range ps {
			if p.Note == "" && (p.Offset < 0 || p.Size < 0 || p.Offset+p.Size > int64(len(b))) {
				t.Fatalf("partition %+v outside the image without a note", p)
			}
		}
	})
}
