package carve

import (
	"bytes"
	"context"
	"testing"
)

// fuzzWalk runs one format's walker on data and checks that what it
// returns lies within the data.
func fuzzWalk(f *testing.F, walk func(*src, int64) (Item, bool), seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(s)
		f.Add(s[:len(s)/2])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &src{r: bytes.NewReader(data), max: 1 << 20, store: make([]byte, window)}
		s.reset(int64(len(data)))
		it, ok := walk(s, 0)
		if ok && (it.Off != 0 || it.Len <= 0 || it.Len > int64(len(data))) {
			t.Fatalf("item %+v outside the %d bytes", it, len(data))
		}
	})
}

func FuzzCarveJPEG(f *testing.F) {
	fuzzWalk(f, walkJPEG, mustJPEG(f, 32, 24, 1), withThumbnail(f, mustJPEG(f, 48, 32, 2), mustJPEG(f, 16, 16, 3)))
}

func FuzzCarvePNG(f *testing.F) { fuzzWalk(f, walkPNG, mustPNG(f, 32, 24, 1)) }

func FuzzCarveGIF(f *testing.F) { fuzzWalk(f, walkGIF, mustGIF(f, 32, 24, 1)) }

func FuzzCarveBMP(f *testing.F) { fuzzWalk(f, walkBMP, mustBMP(f, 32, 24, 1)) }

func FuzzCarveWebP(f *testing.F) { fuzzWalk(f, walkWebP, mustRead(f, "testdata/card.webp")) }

func FuzzCarveISOBMFF(f *testing.F) {
	fuzzWalk(f, walkISOBMFF, mustRead(f, "testdata/photo.heic"), mustRead(f, "testdata/clip.mp4"))
}

// FuzzCarve scans data as a whole: items are in order, sector-aligned
// (but for embedded thumbnails) and within the data. Run it with a short
// -fuzzminimizetime (make fuzz gives 5s): minimizing its inputs for the
// default minute each leaves almost no time to fuzz.
func FuzzCarve(f *testing.F) {
	bl := newBlob(8*Sector, 1)
	bl.put(Sector, mustPNG(f, 16, 16, 1), Item{})
	bl.put(5*Sector, mustGIF(f, 8, 8, 1), Item{})
	f.Add(bl.b)
	f.Add(mustJPEG(f, 32, 24, 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		last := int64(-1)
		err := Scan(context.Background(), bytes.NewReader(data), 0, int64(len(data)), Options{MaxSize: 1 << 20}, func(it Item) error {
			if it.Len <= 0 || it.Off+it.Len > int64(len(data)) || it.Off <= last || !it.Embedded && it.Off%Sector != 0 {
				t.Fatalf("item %+v (previous at %d, %d bytes)", it, last, len(data))
			}
			last = it.Off
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
