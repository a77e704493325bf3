package archive

import (
	"github.com/winnow-forensics/winnow/triage/container"

	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// BenchmarkWalk expands archives of 200 members of 64 KiB of
// incompressible data (like JPEGs), reading every member to the end: the
// cost of expansion and limit checks on top of reading.
func BenchmarkWalk(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	var files []file
	var tes []tarEntry
	for i := range 200 {
		data := make([]byte, 64<<10)
		for k := range data {
			data[k] = byte(rng.Uint32())
		}
		name := fmt.Sprintf("dir/f%03d.bin", i)
		files = append(files, file{name, data})
		tes = append(tes, reg(name, data))
	}
	tarb := mustTar(b, tes...)
	for _, bc := range []struct {
		name string
		data []byte
	}{
		{"zip", mustZip(b, files...)},
		{"tar", tarb},
		{"tgz", mustGzip(b, "", tarb)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(200 << 16)
			for b.Loop() {
				_, err := Walk(context.Background(), bytes.NewReader(bc.data), int64(len(bc.data)), container.Options{}, func(m *container.Member, r io.Reader) error {
					_, err := io.Copy(io.Discard, r)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
