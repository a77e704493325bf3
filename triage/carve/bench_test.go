package carve

import (
	"bytes"
	"context"
	"testing"
)

// benchBlob is size bytes of random garbage with pictures every period
// bytes (none when period is 0), each cut to keep bytes when keep > 0.
func benchBlob(b *testing.B, size, period, keep int) []byte {
	bl := newBlob(size, 9)
	pics := [][]byte{mustJPEG(b, 1024, 768, 1), mustPNG(b, 400, 300, 2), mustGIF(b, 300, 200, 3), mustJPEG(b, 640, 480, 4)}
	for i, at := 0, Sector; period > 0 && at+period < size; i, at = i+1, at+period {
		p := pics[i%len(pics)]
		if keep > 0 {
			p = p[:min(len(p), keep)]
		}
		bl.put(at, p, Item{})
	}
	return bl.b
}

// BenchmarkScan carves 64 MiB in one goroutine: MB/s per core. "garbage"
// is random data (a header check per sector); "pictures" is mostly
// whole pictures (JPEG scan data dominates); "cut" has the same pictures
// cut to 64 KiB, followed by random data, where truncated JPEGs are
// decoded to find their last good data.
func BenchmarkScan(b *testing.B) {
	for _, tc := range []struct {
		name         string
		period, keep int
	}{{"garbage", 0, 0}, {"pictures", 512 << 10, 0}, {"cut", 512 << 10, 64 << 10}} {
		data := benchBlob(b, 64<<20, tc.period, tc.keep)
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				n := 0
				err := Scan(context.Background(), bytes.NewReader(data), 0, int64(len(data)), Options{}, func(Item) error {
					n++
					return nil
				})
				if err != nil || (tc.period > 0) != (n > 0) {
					b.Fatalf("%d items, %v", n, err)
				}
			}
		})
	}
}
