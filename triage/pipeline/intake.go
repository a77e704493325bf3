package pipeline

import (
	"bytes"
	"context"
	"io"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/internal/budget"
)

// Detect returns the container kind among cs that expands content of
// sniffed type mt, and its format; a nil kind when none does. The error is
// a kind's refusal of a variant it recognises but does not expand.
func Detect(cs []container.Container, mt triage.MediaType) (container.Container, string, error) {
	for _, c := range cs {
		f, err := c.Detect(mt)
		if f != "" || err != nil {
			return c, f, err
		}
	}
	return nil, "", nil
}

// Content is a member's content as the intake hands it on: the whole
// member in memory, or a stream of it.
type Content struct {
	// Data is the whole member, when it fits in memory.
	Data []byte
	// Stream yields the whole member when Data is nil (bytes the intake
	// read ahead to learn the size are replayed first). Its size is
	// unknown.
	Stream  io.Reader
	release func()
}

// Release gives back the memory the content was counted against. It may
// be called more than once.
func (c *Content) Release() {
	if c.release != nil {
		c.release()
		c.release = nil
	}
}

// ReadContent is the member intake: it takes the content of member m,
// read from r, into memory when it fits in limit bytes (or the container
// already holds it, m.Data), and streams it otherwise. A read error is
// the member's problem (a damaged container, or a limit). r may be nil
// only when m.Data is set.
func ReadContent(m *container.Member, r io.Reader, limit int64) (Content, error) {
	return readContent(context.Background(), m, r, limit, nil)
}

// readContent is ReadContent with the memory held counted against b (nil:
// not counted); it waits for room in b.
func readContent(ctx context.Context, m *container.Member, r io.Reader, limit int64, b *budget.Bytes) (Content, error) {
	reserve := func(n int64) (func(), error) {
		if b == nil {
			return nil, nil
		}
		got, err := b.Acquire(ctx, n)
		if err != nil {
			return nil, err
		}
		return func() { b.Release(got) }, nil
	}
	switch {
	case m.Data != nil:
		release, err := reserve(int64(len(m.Data)))
		return Content{Data: m.Data, release: release}, err
	case m.Size > limit: // large: stream it
		return Content{Stream: r}, nil
	}
	var release func()
	if m.Size >= 0 {
		var err error
		if release, err = reserve(m.Size); err != nil {
			return Content{}, err
		}
	}
	buf := make([]byte, 0, max(m.Size, 0)+1)
	buf, err := hashing.ReadUpTo(r, buf, limit)
	c := Content{release: release}
	switch {
	case err != nil:
		c.Release()
		return Content{}, err
	case int64(len(buf)) > limit: // the header lied, or declared no size
		c.Stream = io.MultiReader(bytes.NewReader(buf), r)
	case m.Size < 0:
		c.Data = buf
		if c.release, err = reserve(int64(len(buf))); err != nil {
			return Content{}, err
		}
	default:
		c.Data = buf
	}
	return c, nil
}
