package main

import (
	"fmt"
	"io"
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
