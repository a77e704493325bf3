package memstore

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// Sets is a hash-set store in memory (triage.SetStore). Audit records the
// events that commit with a change (PutSet, UpdateSet, AddSetEntries): the
// change is made only when they are recorded. The zero value with Audit
// set is empty and ready; Now, when set, is the clock.
type Sets struct {
	Audit *Audit
	Now   func() time.Time

	mu   sync.Mutex
	sets []set // by id - 1
}

type set struct {
	triage.StoredSet
	entries   []triage.Entry
	loadRev   int64
	importRev int64
}

var _ triage.SetStore = (*Sets)(nil)

func (s *Sets) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now().UTC()
}

// view is a set as the store reports it: the load error and import start
// of its current revision only.
func (st *set) view() triage.StoredSet {
	v := st.StoredSet
	v.Schemes = slices.Clone(v.Schemes)
	if st.loadRev != st.Rev {
		v.LoadError = ""
	}
	if st.importRev != st.Rev {
		v.ImportStarted = time.Time{}
	}
	return v
}

func (s *Sets) byName(name string) *set {
	for i := range s.sets {
		if s.sets[i].Name == name {
			return &s.sets[i]
		}
	}
	return nil
}

func (s *Sets) byID(id int64) (*set, error) {
	if id < 1 || id > int64(len(s.sets)) {
		return nil, triage.Errorf(triage.ENOTFOUND, "no hash set %d", id)
	}
	return &s.sets[id-1], nil
}

// PutSet implements triage.SetStore.
func (s *Sets) PutSet(_ context.Context, st *triage.StoredSet, audit triage.AuditOf[triage.StoredSet]) (bool, error) {
	if err := triage.ValidateName("hash set", st.Name); err != nil {
		return false, err
	}
	if !st.Kind.Valid() && st.Kind != triage.SetKindMixed {
		return false, triage.Errorf(triage.EINVALID, "hash set kind %q is not alert, known-good or mixed", st.Kind)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.byName(st.Name)
	if cur != nil && cur.SHA256 == st.SHA256 && cur.State != triage.SetFailed {
		*st = cur.view()
		return false, nil
	}
	var n set
	if cur != nil {
		n = *cur
	} else {
		n = set{StoredSet: triage.StoredSet{ID: int64(len(s.sets) + 1), Name: st.Name, Enabled: true, CreatedAt: now}}
	}
	n.Version, n.Kind, n.Description, n.SHA256, n.Size = st.Version, st.Kind, st.Description, st.SHA256, st.Size
	n.State, n.Error, n.BaseEntries, n.Entries, n.PushedBy, n.UpdatedAt = triage.SetImporting, "", 0, 0, st.PushedBy, now
	n.Rev++
	n.entries = nil
	if err := recordOf(s.Audit, audit, n.view()); err != nil {
		return false, err
	}
	if cur != nil {
		*cur = n
	} else {
		s.sets = append(s.sets, n)
	}
	*st = n.view()
	return true, nil
}

// Set implements triage.SetStore.
func (s *Sets) Set(_ context.Context, name string) (triage.StoredSet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.byName(name); st != nil {
		return st.view(), nil
	}
	return triage.StoredSet{}, triage.Errorf(triage.ENOTFOUND, "no hash set %q", name)
}

// SetByID implements triage.SetStore.
func (s *Sets) SetByID(_ context.Context, id int64) (triage.StoredSet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.byID(id)
	if err != nil {
		return triage.StoredSet{}, err
	}
	return st.view(), nil
}

// Sets implements triage.SetStore.
func (s *Sets) Sets(context.Context) ([]triage.StoredSet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []triage.StoredSet
	for i := range s.sets {
		out = append(out, s.sets[i].view())
	}
	slices.SortFunc(out, func(a, b triage.StoredSet) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// UpdateSet implements triage.SetStore.
func (s *Sets) UpdateSet(_ context.Context, name string, u triage.SetUpdate, audit triage.AuditOf[triage.StoredSet]) (triage.StoredSet, error) {
	if err := u.Validate(); err != nil {
		return triage.StoredSet{}, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.byName(name)
	if cur == nil {
		return triage.StoredSet{}, triage.Errorf(triage.ENOTFOUND, "no hash set %q", name)
	}
	st := *cur
	if u.Enabled != nil {
		st.Enabled = *u.Enabled
	}
	if u.PDQRadius != nil {
		st.PDQRadius = *u.PDQRadius
	}
	if u.PHashRadius != nil {
		st.PHashRadius = *u.PHashRadius
	}
	st.Rev++
	st.UpdatedAt = now
	if err := recordOf(s.Audit, audit, st.view()); err != nil {
		return triage.StoredSet{}, err
	}
	*cur = st
	return st.view(), nil
}

// ImportSet implements triage.SetStore.
func (s *Sets) ImportSet(_ context.Context, id, rev int64, meta triage.SetMeta, entries func(yield func(triage.Entry) bool), importErr error) error {
	var es []triage.Entry
	if importErr == nil {
		for e := range entries {
			e.Kind = e.KindIn(meta.Kind)
			es = append(es, e)
		}
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.byID(id)
	if err != nil {
		return err
	}
	if st.Rev != rev {
		return triage.Errorf(triage.ECONFLICT, "hash set %d was pushed again during its import", id)
	}
	st.UpdatedAt = now
	if importErr != nil {
		st.State, st.Error = triage.SetFailed, triage.ErrorMessage(importErr)
		return nil
	}
	st.entries = es
	st.State, st.Error, st.Version, st.Kind, st.Description = triage.SetReady, "", meta.Version, meta.Kind, meta.Description
	st.BaseEntries, st.Entries, st.Schemes = int64(len(es)), int64(len(es)), nil
	if len(meta.Schemes) > 0 {
		st.Schemes = slices.Clone(meta.Schemes)
	}
	return nil
}

// AddSetEntries implements triage.SetStore.
func (s *Sets) AddSetEntries(_ context.Context, name string, entries []triage.Entry, audit triage.AuditOf[int64]) (int64, error) {
	for i := range entries {
		if err := entries[i].Validate(); err != nil {
			return 0, triage.Errorf(triage.EINVALID, "entry %d: %s", i, triage.ErrorMessage(err))
		}
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.byName(name)
	if st == nil {
		return 0, triage.Errorf(triage.ENOTFOUND, "no hash set %q", name)
	}
	if st.State != triage.SetReady {
		return 0, triage.Errorf(triage.ECONFLICT, "hash set %q is %s; entries can be added once it is ready", name, st.State)
	}
	total := int64(len(st.entries) + len(entries))
	if err := recordOf(s.Audit, audit, total); err != nil {
		return 0, err
	}
	for _, e := range entries {
		e.Kind = e.KindIn(st.Kind)
		st.entries = append(st.entries, e)
	}
	st.Entries, st.UpdatedAt = total, now
	return total, nil
}

// SetEntries implements triage.SetStore.
func (s *Sets) SetEntries(_ context.Context, id, from, to int64) ([]triage.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.byID(id)
	if err != nil {
		return nil, nil // no entries, as a query for a missing set finds none
	}
	from, to = max(from, 0), min(to, int64(len(st.entries)))
	if from >= to {
		return nil, nil
	}
	return slices.Clone(st.entries[from:to]), nil
}

// StuckSets implements triage.SetStore.
func (s *Sets) StuckSets(_ context.Context, grace time.Duration) ([]int64, error) {
	before := s.now().Add(-grace)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int64
	for i := range s.sets {
		if st := &s.sets[i]; st.State == triage.SetImporting && st.UpdatedAt.Before(before) {
			out = append(out, st.ID)
		}
	}
	return out, nil
}

// SetLoadError implements triage.SetStore.
func (s *Sets) SetLoadError(_ context.Context, id, rev int64, msg string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, err := s.byID(id); err == nil && st.Rev == rev {
		st.LoadError, st.loadRev = msg, rev
	}
	return nil
}

// StartImport implements triage.SetStore.
func (s *Sets) StartImport(_ context.Context, id, rev int64) error {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, err := s.byID(id); err == nil && st.Rev == rev {
		st.ImportStarted, st.importRev = now, rev
	}
	return nil
}

// update runs fn on a copy of the set named name, holding the store's
// lock, and keeps the copy when fn succeeds: a promotion into the local
// set and its audit events commit together (EUNAVAILABLE when there is
// no such set yet).
func (s *Sets) update(name string, fn func(st *set) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.byName(name)
	if cur == nil {
		return triage.Errorf(triage.EUNAVAILABLE, "the local hash set %q does not exist yet; retry", name)
	}
	n := *cur
	n.entries = slices.Clone(cur.entries)
	if err := fn(&n); err != nil {
		return err
	}
	*cur = n
	return nil
}

// ensureLocal records the local hash set, ready and empty, if it does not
// exist (triage.ReviewStore's EnsureLocalSet).
func (s *Sets) ensureLocal(st *triage.StoredSet) error {
	if err := triage.ValidateName("hash set", st.Name); err != nil {
		return err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.byName(st.Name); cur != nil {
		if cur.Kind != triage.SetKindAlert {
			return triage.Errorf(triage.ECONFLICT, "hash set %q exists and is %s; the local set must be an alert set: configure another name", st.Name, cur.Kind)
		}
		*st = cur.view()
		return nil
	}
	n := set{StoredSet: triage.StoredSet{ID: int64(len(s.sets) + 1), Name: st.Name, Version: st.Version, Kind: triage.SetKindAlert,
		Description: st.Description, SHA256: st.SHA256, Size: st.Size, Enabled: true, State: triage.SetReady, Rev: 1, CreatedAt: now, UpdatedAt: now}}
	s.sets = append(s.sets, n)
	*st = n.view()
	return nil
}
