package index

import (
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// A store is the mutable part shared by every index type: a list of
// immutable segments plus one open "delta" segment that Add appends to,
// published together as a state that readers load with one atomic read.
//
// Writers (add, remove, compact) hold mu. Readers never lock: a reader
// loads the current state and sees
//   - every sealed segment in it (their keys and ids never change),
//   - the delta's entries up to its published fill (written before the
//     fill is advanced, so a reader never sees a half-written entry),
//   - tombstones as atomic bits, set by remove.
//
// When the delta is full it is sealed (appended to the segment list as an
// unindexed segment) and a fresh one opened. A background goroutine merges
// segments (logarithmic method: the trailing segments are merged while the
// one before them is less than mergeRatio times their total) and rebuilds
// segments that are mostly tombstones. A merge copies the live entries of
// its run outside the lock, builds the new segment, and installs it under
// the lock after replaying the removals that happened meanwhile, so readers
// and writers are never blocked by a build.
type store struct {
	w        int // words per key
	deltaCap int
	build    func(src source, procs int) *segment

	mu      sync.Mutex
	cur     atomic.Pointer[state]
	live    atomic.Int64
	merging bool          // a merger goroutine runs (guarded by mu)
	idle    chan struct{} // closed when the running merger stops (guarded by mu)
}

// state is one published view of a store.
type state struct {
	segs  []*segment // sealed segments, oldest first
	delta *segment
}

// mergeRatio: a trailing run of segments is merged into the segment before
// it once their total reaches 1/mergeRatio of its size.
const mergeRatio = 4

func (st *store) init(w, deltaCap int, build func(source, int) *segment, first *segment) {
	st.w, st.deltaCap, st.build = w, deltaCap, build
	s := &state{delta: newDelta(w, deltaCap)}
	if first != nil && first.len() > 0 {
		s.segs = []*segment{first}
		st.live.Store(int64(first.len()))
	}
	st.cur.Store(s)
}

func (st *store) load() *state { return st.cur.Load() }

func (st *store) add(key []uint64, id uint32) {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.load()
	d := s.delta
	i := d.len()
	copy(d.keys[i*st.w:(i+1)*st.w], key)
	d.ids[i] = id
	d.fill.Store(int64(i + 1))
	st.live.Add(1)
	if i+1 == st.deltaCap {
		st.sealLocked(s)
		st.kickLocked()
	}
}

// sealLocked moves a non-empty delta into the segment list.
func (st *store) sealLocked(s *state) *state {
	if s.delta.len() == 0 {
		return s
	}
	n := &state{segs: append(append([]*segment(nil), s.segs...), s.delta), delta: newDelta(st.w, st.deltaCap)}
	st.cur.Store(n)
	return n
}

func (st *store) remove(key []uint64, id uint32) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.load()
	if p := s.delta.findLive(key, id); p >= 0 {
		s.delta.kill(p)
		st.live.Add(-1)
		return true
	}
	for i := len(s.segs) - 1; i >= 0; i-- {
		g := s.segs[i]
		if p := g.findLive(key, id); p >= 0 {
			g.kill(p)
			st.live.Add(-1)
			if 2*g.ndead >= g.len() {
				st.kickLocked()
			}
			return true
		}
	}
	return false
}

// pickRun returns the run of segments [i, j) to merge next, or i == j.
func pickRun(segs []*segment) (int, int) {
	n := len(segs)
	for i, g := range segs {
		if g.len() > 0 && 2*g.ndead >= g.len() {
			return i, i + 1
		}
	}
	if n < 2 {
		return n, n
	}
	i, sum := n-1, segs[n-1].live()
	for i > 0 && segs[i-1].live() < mergeRatio*sum {
		i--
		sum += segs[i].live()
	}
	if i == n-1 {
		return n, n
	}
	return i, n
}

// kickLocked starts a merger if one is needed and none runs.
func (st *store) kickLocked() {
	if st.merging {
		return
	}
	if i, j := pickRun(st.load().segs); i == j {
		return
	}
	st.merging = true
	st.idle = make(chan struct{})
	go st.mergeLoop()
}

func (st *store) mergeLoop() {
	st.mu.Lock()
	for {
		s := st.load()
		i, j := pickRun(s.segs)
		if i == j {
			break
		}
		// One core: background merges leave the others to the caller.
		st.mergeLocked(i, j, 1)
	}
	st.merging = false
	close(st.idle)
	st.mu.Unlock()
}

// mergeJob is a run of segments being merged: their tombstones and removal
// logs as they were when the merge started.
type mergeJob struct {
	segs   []*segment
	dead   [][]uint64
	logLen []int
}

// mergeLocked replaces segments [i, j) of the current state with one new
// segment built by procs goroutines. It is called with mu held, releases it
// while building and holds it again on return. Only one merge runs at a
// time.
func (st *store) mergeLocked(i, j, procs int) {
	s := st.load()
	job := mergeJob{segs: append([]*segment(nil), s.segs[i:j]...)}
	for _, g := range job.segs {
		job.dead = append(job.dead, g.dead.snapshot())
		job.logLen = append(job.logLen, len(g.removed))
	}
	st.mu.Unlock()
	ng := st.build(job.source(st.w), procs)
	st.mu.Lock()

	// Entries removed while the new segment was built are still live in
	// it: remove them there too.
	for k, g := range job.segs {
		for _, p := range g.removed[job.logLen[k]:] {
			q := ng.findLive(g.key(int(p)), g.ids[p])
			if q < 0 {
				panic(fmt.Sprintf("index: merge lost entry %d of a segment", p))
			}
			ng.kill(q)
		}
	}
	s = st.load()
	if s.segs[i] != job.segs[0] || s.segs[j-1] != job.segs[len(job.segs)-1] {
		panic("index: segments changed under a merge")
	}
	segs := append([]*segment(nil), s.segs[:i]...)
	if ng.live() > 0 {
		segs = append(segs, ng)
	}
	segs = append(segs, s.segs[j:]...)
	st.cur.Store(&state{segs: segs, delta: s.delta})
}

// source reads the entries that were live when the job started.
func (job *mergeJob) source(w int) source {
	var keys []uint64
	var ids []uint32
	n := 0
	for k, g := range job.segs {
		n += g.len() - popcount(job.dead[k])
	}
	keys = make([]uint64, 0, n*w)
	ids = make([]uint32, 0, n)
	for k, g := range job.segs {
		dead := job.dead[k]
		for p := 0; p < g.len(); p++ {
			if dead[p>>6]&(1<<(uint(p)&63)) != 0 {
				continue
			}
			keys = append(keys, g.key(p)...)
			ids = append(ids, g.ids[p])
		}
	}
	return wordSource{w: w, keys: keys, ids: ids}
}

// compact merges every entry into one segment and waits for it.
func (st *store) compact() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.waitIdleLocked()
	s := st.sealLocked(st.load())
	if len(s.segs) == 0 || (len(s.segs) == 1 && s.segs[0].ndead == 0 && (s.segs[0].mih != nil || s.segs[0].srt != nil)) {
		return
	}
	st.merging = true
	st.idle = make(chan struct{})
	st.mergeLocked(0, len(s.segs), runtime.GOMAXPROCS(0))
	st.merging = false
	close(st.idle)
	st.kickLocked()
}

// waitIdleLocked waits, with mu held, until no merger runs.
func (st *store) waitIdleLocked() {
	for st.merging {
		ch := st.idle
		st.mu.Unlock()
		<-ch
		st.mu.Lock()
	}
}

// bytes is the memory held by the current state (it takes the writers'
// lock: the removal logs grow under it).
func (st *store) bytes() int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.load()
	n := s.delta.bytes()
	for _, g := range s.segs {
		n += g.bytes()
	}
	return n
}

func popcount(ws []uint64) int {
	n := 0
	for _, w := range ws {
		n += bits.OnesCount64(w)
	}
	return n
}

// waitIdle waits until no merge runs (tests and benchmarks use it to
// measure a settled index).
func (st *store) waitIdle() {
	st.mu.Lock()
	st.waitIdleLocked()
	st.mu.Unlock()
}
