package hashing

import (
	"context"
	"sync"
)

// memBudget is a weighted semaphore over bytes: decodes reserve what they
// will allocate before allocating it, so the sum over all concurrent items
// stays under the budget whatever the inputs. A reservation larger than the
// whole budget waits until it can run alone.
type memBudget struct {
	mu    sync.Mutex
	cond  *sync.Cond
	total int64
	used  int64
}

func newMemBudget(total int64) *memBudget {
	b := &memBudget{total: total}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// acquire reserves n bytes and returns the amount to pass to release.
func (b *memBudget) acquire(ctx context.Context, n int64) (int64, error) {
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

func (b *memBudget) release(n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
	b.cond.Broadcast()
}
