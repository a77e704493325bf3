// Command genphotos writes generated, benign, camera-like JPEGs for
// benchmarks: go run ./triage/triagetest/genphotos -n 40 -out DIR.
package main

import (
	"flag"
	"fmt"
	"log"
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
	flag.Parse()
	if *out == "" || *n < 1 {
		log.Fatal("usage: genphotos -out DIR [-n N] [-w W] [-h H] [-q Q]")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	for i := range *n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			name := filepath.Join(*out, fmt.Sprintf("photo-%04d.jpg", i))
			if err := os.WriteFile(name, triagetest.PhotoJPEG(*w, *h, *seed+uint64(i), *q), 0o644); err != nil {
				log.Fatal(err)
			}
		})
	}
	wg.Wait()
	fmt.Printf("wrote %d %dx%d JPEGs to %s\n", *n, *w, *h, *out)
}
