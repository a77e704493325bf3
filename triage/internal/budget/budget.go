// Package budget is a weighted semaphore over bytes, shared by the
// hashing engine (pixels being decoded) and the pipeline (member content
// held in memory).
package budget

import (
	"context"
	"sync"
)

// Bytes is a weighted semaphore over bytes: callers reserve what they will
// allocate before allocating it, so the sum over all concurrent work stays
// under the budget whatever the inputs. A reservation larger than the
// whole budget waits until it can run alone.
type Bytes struct {
	mu    sync.Mutex
	cond  *sync.Cond
	total int64
	used  int64
}

// New returns a budget of total bytes.
func New(total int64) *Bytes {
	b := &Bytes{total: total}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// Acquire reserves n bytes (at most the whole budget), waiting until they
// are free or ctx is done, and returns the amount to pass to Release.
func (b *Bytes) Acquire(ctx context.Context, n int64) (int64, error) {
	if n > b.total {
		n = b.total
	}
	if n <= 0 {
		return 0, nil
	}
	stop := context.AfterFunc(ctx, func() {
		b.mu.Lock()
		b.cond.Broadcast()
		b.mu.Unlock()
	})
	defer stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.used+n > b.total {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		b.cond.Wait()
	}
	b.used += n
	return n, nil
}

// Release gives back n bytes that Acquire reserved.
func (b *Bytes) Release(n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
	b.cond.Broadcast()
}
