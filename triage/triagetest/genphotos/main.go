// Command genphotos writes generated, benign, camera-like JPEGs for
// benchmarks: go run ./triage/triagetest/genphotos -n 40 -out DIR.
package main

import (
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/winnow-forensics/winnow/triage/triagetest"
)

func main() {
	n := flag.Int("n", 40, "number of photos")
	w := flag.Int("w", 4000, "width")
	h := flag.Int("h", 3000, "height")
	q := flag.Int("q", 90, "JPEG quality")
	seed := flag.Uint64("seed", 1, "first seed; photo i uses seed+i")
	out := flag.String("out", "", "output directory (created)")
	variants := flag.Int("variants", 1, "write each generated photo this many times, the copies differing only in a JPEG comment (distinct files, same pixels)")
	mixed := flag.Bool("mixed", false, "mixed sizes: photo i is 0.3, 0.5, 1, 2, 3, 5, 8 or 12 MP (4:3), cycling; -w and -h are ignored")
	flag.Parse()
	if *out == "" || *n < 1 {
		log.Fatal("usage: genphotos -out DIR [-n N] [-w W] [-h H] [-q Q]")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	if *variants < 1 {
		*variants = 1
	}
	for i := range (*n + *variants - 1) / *variants {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			pw, ph := *w, *h
			if *mixed {
				mp := []float64{0.3, 0.5, 1, 2, 3, 5, 8, 12}[i%8]
				pw = int(math.Sqrt(mp * 1e6 * 4 / 3))
				ph = pw * 3 / 4
			}
			j := triagetest.PhotoJPEG(pw, ph, *seed+uint64(i), *q)
			for v := range *variants {
				k := i**variants + v
				if k >= *n {
					break
				}
				b := j
				if *variants > 1 {
					com := fmt.Sprintf("winnow variant %d", v)
					b = append(append([]byte{0xff, 0xd8, 0xff, 0xfe, 0, byte(len(com) + 2)}, com...), j[2:]...)
				}
				name := filepath.Join(*out, fmt.Sprintf("photo-%04d.jpg", k))
				if err := os.WriteFile(name, b, 0o644); err != nil {
					log.Fatal(err)
				}
			}
		})
	}
	wg.Wait()
	if *mixed {
		fmt.Printf("wrote %d JPEGs of 0.3-12 MP to %s\n", *n, *out)
	} else {
		fmt.Printf("wrote %d %dx%d JPEGs to %s\n", *n, *w, *h, *out)
	}
}
