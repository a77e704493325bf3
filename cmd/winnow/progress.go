package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"time"
)

// progressLine redraws one status line on a terminal until stopped.
type progressLine struct {
	w    io.Writer
	line func() string
	quit chan struct{}
	wg   sync.WaitGroup
}

func startProgress(w io.Writer, line func() string) *progressLine {
	p := &progressLine{w: w, line: line, quit: make(chan struct{})}
	p.wg.Go(func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fmt.Fprintf(p.w, "\r\x1b[K%s", p.line())
			case <-p.quit:
				fmt.Fprintf(p.w, "\r\x1b[K")
				return
			}
		}
	})
	return p
}

func (p *progressLine) stop() {
	close(p.quit)
	p.wg.Wait()
}

// startCPUProfile writes a CPU profile to path until the returned function
// is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// progressBar renders "[=====>    ]  45%" for done of total, or a
// placeholder when the total is not known yet.
func progressBar(done, total int64, width int) string {
	if total <= 0 {
		return "[" + strings.Repeat("·", width) + "]   ?%"
	}
	frac := min(1, float64(done)/float64(total))
	n := int(frac * float64(width))
	bar := strings.Repeat("=", n)
	if n < width {
		bar += ">" + strings.Repeat(" ", width-n-1)
	}
	return fmt.Sprintf("[%s] %3.0f%%", bar, 100*frac)
}

// eta estimates the time left from the work done in elapsed, or "" when
// it cannot.
func eta(done, total int64, elapsed time.Duration) string {
	if total <= 0 || done <= 0 || done >= total || elapsed < time.Second {
		return ""
	}
	left := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
	return left.Round(time.Second).String()
}
