package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
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
