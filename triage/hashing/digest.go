package hashing

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"hash"
	"io"
	"sync"
	"sync/atomic"

	"github.com/winnow-forensics/winnow/triage"
)

// digester computes any of MD5, SHA-1 and SHA-256 over one stream. With more
// than one digest it runs each on its own goroutine over the same buffers, so
// the stream is read once and the digests cost about as much wall time as the
// slowest of them alone.
type digester struct {
	algos triage.AlgoSet
	hs    []hash.Hash
}

func newDigester(algos triage.AlgoSet) *digester {
	d := &digester{algos: algos}
	if algos.Has(triage.AlgoMD5) {
		d.hs = append(d.hs, md5.New())
	}
	if algos.Has(triage.AlgoSHA1) {
		d.hs = append(d.hs, sha1.New())
	}
	if algos.Has(triage.AlgoSHA256) {
		d.hs = append(d.hs, sha256.New())
	}
	return d
}

func (d *digester) sums() triage.Digests {
	var out triage.Digests
	i := 0
	if d.algos.Has(triage.AlgoMD5) {
		d.hs[i].Sum(out.MD5[:0])
		i++
	}
	if d.algos.Has(triage.AlgoSHA1) {
		d.hs[i].Sum(out.SHA1[:0])
		i++
	}
	if d.algos.Has(triage.AlgoSHA256) {
		d.hs[i].Sum(out.SHA256[:0])
	}
	return out
}

// sumBytes digests a whole in-memory buffer, one goroutine per digest.
func (d *digester) sumBytes(b []byte) triage.Digests {
	switch len(d.hs) {
	case 0:
	case 1:
		d.hs[0].Write(b)
	default:
		var wg sync.WaitGroup
		for _, h := range d.hs[1:] {
			wg.Go(func() { h.Write(b) })
		}
		d.hs[0].Write(b)
		wg.Wait()
	}
	return d.sums()
}

// streamChunk is the unit of work in sumStream: buf[:n] holds data; refs
// counts the digests that still have to consume it. Only the reading
// goroutine writes buf and n, and only while the chunk is free.
type streamChunk struct {
	buf  []byte
	n    int
	refs atomic.Int32
}

const (
	streamChunkSize = 1 << 20
	streamChunks    = 4
)

// sumStream digests everything r yields. Every chunk is also written to tee
// (if not nil) in order, before the next is read; a tee error stops only the
// tee, not the digests. It returns the byte count and the first read error.
func (d *digester) sumStream(r io.Reader, tee io.Writer) (int64, triage.Digests, error) {
	var n int64
	if len(d.hs) <= 1 {
		ws := make([]io.Writer, 0, 2)
		if len(d.hs) == 1 {
			ws = append(ws, d.hs[0])
		}
		if tee != nil {
			ws = append(ws, &softWriter{w: tee})
		}
		n, err := io.CopyBuffer(io.MultiWriter(ws...), r, make([]byte, 256<<10))
		return n, d.sums(), err
	}

	free := make(chan *streamChunk, streamChunks)
	for range streamChunks {
		free <- &streamChunk{buf: make([]byte, streamChunkSize)}
	}
	work := make([]chan *streamChunk, len(d.hs))
	var wg sync.WaitGroup
	for i, h := range d.hs {
		work[i] = make(chan *streamChunk, streamChunks)
		wg.Go(func() {
			for c := range work[i] {
				h.Write(c.buf[:c.n])
				if c.refs.Add(-1) == 0 {
					free <- c
				}
			}
		})
	}
	sw := &softWriter{w: tee}
	var rerr error
	for {
		c := <-free
		k, err := io.ReadFull(r, c.buf)
		if k > 0 {
			c.n = k
			n += int64(k)
			c.refs.Store(int32(len(d.hs)))
			for _, ch := range work {
				ch <- c
			}
			if tee != nil {
				sw.Write(c.buf[:k])
			}
		} else {
			free <- c
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		} else if err != nil {
			rerr = err
			break
		}
	}
	for _, ch := range work {
		close(ch)
	}
	wg.Wait()
	return n, d.sums(), rerr
}

// softWriter forwards writes until the first error, then swallows the rest,
// so a consumer that gives up early cannot stop the stream.
type softWriter struct {
	w   io.Writer
	err error
}

func (s *softWriter) Write(p []byte) (int, error) {
	if s.err == nil {
		_, s.err = s.w.Write(p)
	}
	return len(p), nil
}

// StreamDigests computes MD5, SHA-1 and SHA-256 of a stream written to it
// in pieces, such as an upload on its way to the evidence store. Large
// writes are digested by the three hashes concurrently. It is not safe for
// concurrent use.
type StreamDigests struct {
	d *digester
	n int64
}

// NewStreamDigests returns digests over an empty stream.
func NewStreamDigests() *StreamDigests { return &StreamDigests{d: newDigester(triage.AlgosCrypto)} }

// parallelMin is the write size from which the digests run concurrently.
const parallelMin = 64 << 10

// Write adds p to the stream. It never fails.
func (s *StreamDigests) Write(p []byte) (int, error) {
	s.n += int64(len(p))
	if len(p) < parallelMin {
		for _, h := range s.d.hs {
			h.Write(p)
		}
		return len(p), nil
	}
	var wg sync.WaitGroup
	for _, h := range s.d.hs[1:] {
		wg.Go(func() { h.Write(p) })
	}
	s.d.hs[0].Write(p)
	wg.Wait()
	return len(p), nil
}

// Sum returns the digests of everything written so far.
func (s *StreamDigests) Sum() triage.Digests { return s.d.sums() }

// Len returns the number of bytes written.
func (s *StreamDigests) Len() int64 { return s.n }

// ReadUpTo reads r into buf (appending, growing it as needed) until EOF
// or until buf holds more than limit bytes, so that a caller can tell
// "fits" (len(buf) <= limit) from "larger" and stream the rest of r
// after the bytes read. A read error is returned with the bytes before it.
func ReadUpTo(r io.Reader, buf []byte, limit int64) ([]byte, error) {
	for int64(len(buf)) <= limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}
