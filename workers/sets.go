package workers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/matching"
	"github.com/winnow-forensics/winnow/triage/setfile"
)

// SetSync keeps a Matcher in step with the hash sets in the database:
// sets that become ready are loaded (from their compiled file), sets that
// are disabled or replaced are unloaded or reloaded, and entries added to a
// loaded set are added to its index without a rebuild. Sync is cheap when
// nothing changed (one small query), so workers call it every few seconds.
//
// One set that cannot be loaded (its file missing or damaged) does not
// stop the others: it is recorded as failing (StoredSet.LoadError, the
// worker's metrics) and retried with a backoff from 5 s to 5 minutes.
type SetSync struct {
	Sets    triage.SetStore
	Files   triage.EvidenceFetcher
	Matcher *matching.Matcher
	Logger  *slog.Logger
	// MaxSetBytes bounds a compiled file read into memory (0: 4 GiB).
	MaxSetBytes int64

	mu     sync.Mutex
	loaded map[int64]*loadedSet
	failed map[int64]*setFailure
}

// setFailure is a set revision that would not load.
type setFailure struct {
	name  string
	rev   int64
	tries int
	next  time.Time
	err   error
}

// retryAfter is the wait after the n-th failed load: 5 s doubling, at
// most 5 minutes.
func retryAfter(n int) time.Duration { return min(5*time.Second<<min(n-1, 6), 5*time.Minute) }

type loadedSet struct {
	name    string
	rev     int64
	entries int64
}

// Sync brings the Matcher up to date with the database.
func (s *SetSync) Sync(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded == nil {
		s.loaded = map[int64]*loadedSet{}
	}
	if s.failed == nil {
		s.failed = map[int64]*setFailure{}
	}
	sets, err := s.Sets.Sets(ctx)
	if err != nil {
		return fmt.Errorf("sync hash sets: %w", err)
	}
	seen := map[int64]bool{}
	byID := map[int64]triage.StoredSet{}
	var errs []error
	for _, st := range sets {
		seen[st.ID] = true
		byID[st.ID] = st
		l := s.loaded[st.ID]
		if !st.Enabled || st.State != triage.SetReady {
			if l != nil {
				s.Matcher.RemoveSet(l.name)
				delete(s.loaded, st.ID)
				s.Logger.InfoContext(ctx, "hash set unloaded", "set", st.Name, "enabled", st.Enabled, "state", st.State)
			}
			continue
		}
		if l == nil || l.rev != st.Rev || l.name != st.Name {
			if f := s.failed[st.ID]; f != nil && f.rev == st.Rev && time.Now().Before(f.next) {
				continue // not yet time to retry
			}
			if l != nil && l.name != st.Name {
				s.Matcher.RemoveSet(l.name)
			}
			nl, err := s.load(ctx, st)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				s.loadFailed(ctx, st, err)
				continue
			}
			if s.failed[st.ID] != nil {
				delete(s.failed, st.ID)
				s.Logger.InfoContext(ctx, "hash set loads again", "set", st.Name)
			}
			if st.LoadError != "" {
				if err := s.Sets.SetLoadError(ctx, st.ID, st.Rev, ""); err != nil {
					errs = append(errs, err)
				}
			}
			s.loaded[st.ID] = nl
			continue
		}
		if st.Entries > l.entries {
			es, err := s.Sets.SetEntries(ctx, st.ID, l.entries, st.Entries)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if err := s.Matcher.AddEntries(st.Name, es); err != nil {
				errs = append(errs, err)
				continue
			}
			l.entries += int64(len(es))
			s.Logger.InfoContext(ctx, "hash set entries added", "set", st.Name, "added", len(es), "entries", l.entries)
		}
	}
	for id, l := range s.loaded {
		if !seen[id] {
			s.Matcher.RemoveSet(l.name)
			delete(s.loaded, id)
		}
	}
	for id, f := range s.failed {
		if st, ok := byID[id]; !ok || st.Rev != f.rev || !st.Enabled || st.State != triage.SetReady {
			delete(s.failed, id) // replaced, disabled or gone
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("sync hash sets: %w", errs[0])
	}
	return nil
}

// loadFailed records a set that would not load: in the database (hashset
// list, the API, /readyz), the log and the retry schedule.
func (s *SetSync) loadFailed(ctx context.Context, st triage.StoredSet, err error) {
	f := s.failed[st.ID]
	if f == nil || f.rev != st.Rev {
		f = &setFailure{name: st.Name, rev: st.Rev}
		s.failed[st.ID] = f
	}
	f.tries++
	f.err = err
	f.next = time.Now().Add(retryAfter(f.tries))
	msg := triage.ErrorMessage(err)
	if triage.ErrorCode(err) == triage.EINTERNAL {
		msg = err.Error()
	}
	s.Logger.ErrorContext(ctx, "hash set does not load; matching against the other sets meanwhile", "set", st.Name,
		"rev", st.Rev, "attempt", f.tries, "retry_in", retryAfter(f.tries), "err", err)
	if err := s.Sets.SetLoadError(ctx, st.ID, st.Rev, msg); err != nil {
		s.Logger.WarnContext(ctx, "hash set load error not recorded", "set", st.Name, "err", err)
	}
}

// Failed returns the names of the sets that do not load, with why.
func (s *SetSync) Failed() map[string]error {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]error{}
	for _, f := range s.failed {
		out[f.name] = f.err
	}
	return out
}

// load reads a set's compiled file, applies the database's settings, indexes
// it and adds the entries added since it was pushed.
func (s *SetSync) load(ctx context.Context, st triage.StoredSet) (*loadedSet, error) {
	start := time.Now()
	hs, err := readSet(ctx, s.Files, st, s.MaxSetBytes)
	if err != nil {
		return nil, err
	}
	if c := hs.SchemeConflicts(); len(c) > 0 {
		// Entry kinds were decided when the set was built; only labels
		// and the parsing of new categories use this process's definition.
		s.Logger.WarnContext(ctx, "hash set carries category schemes defined differently here; the definitions loaded first are used",
			"set", st.Name, "schemes", c)
	}
	if n := hs.OldKeypoints(); n > 0 {
		s.Logger.WarnContext(ctx, "hash set's local features (keypoints) are of an older Winnow's design and are not used; rebuild the set from its media with `winnow hashset build` and push it again to match heavy crops by them",
			"set", st.Name, "keypoints", n)
	}
	hs.Meta.Name, hs.Meta.Version, hs.Meta.Kind = st.Name, st.Version, st.Kind
	if st.PDQRadius > 0 {
		hs.Meta.PDQRadius = st.PDQRadius
	}
	if st.PHashRadius > 0 {
		hs.Meta.PHashRadius = st.PHashRadius
	}
	s.Matcher.AddSet(hs)
	l := &loadedSet{name: st.Name, rev: st.Rev, entries: int64(hs.Len())}
	if st.Entries > l.entries {
		es, err := s.Sets.SetEntries(ctx, st.ID, l.entries, st.Entries)
		if err != nil {
			return nil, err
		}
		if err := s.Matcher.AddEntries(st.Name, es); err != nil {
			return nil, err
		}
		l.entries += int64(len(es))
	}
	s.Logger.InfoContext(ctx, "hash set loaded", "set", st.Name, "version", st.Version, "rev", st.Rev, "entries", l.entries, "took", time.Since(start))
	return l, nil
}

// readSet reads and checks a stored set's compiled file.
func readSet(ctx context.Context, files triage.EvidenceFetcher, st triage.StoredSet, limit int64) (*setfile.Set, error) {
	buf, err := fetchSet(ctx, files, st, limit)
	if err != nil {
		return nil, err
	}
	return setfile.Parse(buf)
}

// fetchSet reads a stored set's compiled file, verified against its SHA-256.
func fetchSet(ctx context.Context, files triage.EvidenceFetcher, st triage.StoredSet, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = 4 << 30
	}
	rc, info, err := files.Get(ctx, st.SHA256)
	if err != nil {
		return nil, fmt.Errorf("hash set %s: %w", st.Name, err)
	}
	defer rc.Close()
	if info.Size > limit {
		return nil, triage.Errorf(triage.ETOOLARGE, "hash set file is %d bytes, over the limit of %d", info.Size, limit)
	}
	buf := make([]byte, 0, info.Size)
	buf, err = readAll(rc, buf)
	if err != nil {
		return nil, fmt.Errorf("hash set %s: %w", st.Name, err)
	}
	return buf, nil
}

// Run calls Sync every interval until ctx is done, logging failures.
func (s *SetSync) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Sync(ctx); err != nil && ctx.Err() == nil {
				s.Logger.WarnContext(ctx, "hash set sync failed; will retry", "err", err)
			}
		}
	}
}

// readAll reads r to its end into buf.
func readAll(r io.Reader, buf []byte) ([]byte, error) { return hashing.ReadUpTo(r, buf, math.MaxInt64) }
