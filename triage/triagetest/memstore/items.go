package memstore

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// Items is an item store in memory (triage.ItemStore), over the exhibits
// of Cases; Audit records the upload events that commit with created
// items. With Reviews set, FinishItem queues the items package review
// admits into that review queue, as it records them; without, it records
// the result only. It collects no orphans (it is no triage.OrphanStore:
// CreateItem only runs present). Now, when set, is the clock.
type Items struct {
	Cases   *Cases
	Audit   *Audit
	Reviews *Reviews
	Now     func() time.Time

	mu      sync.Mutex
	items   []item // by id - 1
	matches map[int64][]triage.MatchRecord
}

type item struct {
	triage.Item
	leaseUntil time.Time
}

var _ triage.ItemStore = (*Items)(nil)

func (s *Items) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now().UTC()
}

func (s *Items) get(id int64) (*item, error) {
	if id < 1 || id > int64(len(s.items)) {
		return nil, triage.Errorf(triage.ENOTFOUND, "no item %d", id)
	}
	return &s.items[id-1], nil
}

// CreateItem implements triage.ItemStore.
func (s *Items) CreateItem(ctx context.Context, it *triage.Item, audit *triage.AuditEvent, present func(context.Context) error) (bool, error) {
	if err := it.Validate(); err != nil {
		return false, err
	}
	ex, ok := s.Cases.exhibitByID(it.ExhibitID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok || (it.ParentID != 0 && (it.ParentID < 1 || it.ParentID > int64(len(s.items)))) {
		return false, triage.Errorf(triage.ENOTFOUND, "the item's exhibit or parent does not exist")
	}
	for _, o := range s.items {
		if o.ExhibitID == it.ExhibitID && o.Path == it.Path && o.InnerPath == it.InnerPath && o.SHA256 == it.SHA256 {
			*it = o.Item
			return false, nil
		}
	}
	if present != nil {
		if err := present(ctx); err != nil {
			return false, err
		}
	}
	n := *it
	n.ID, n.CaseID, n.ReceivedAt, n.State = int64(len(s.items)+1), ex.CaseID, s.now(), triage.StateReceived
	if audit != nil {
		ev := *audit
		ev.Target = "item/" + strconv.FormatInt(n.ID, 10)
		if err := s.Audit.record(&ev); err != nil {
			return false, err
		}
		*audit = ev
	}
	s.items = append(s.items, item{Item: n})
	*it = n
	return true, nil
}

// Item implements triage.ItemStore.
func (s *Items) Item(_ context.Context, id int64) (triage.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.get(id)
	if err != nil {
		return triage.Item{}, err
	}
	return it.Item, nil
}

// Items implements triage.ItemStore.
func (s *Items) Items(_ context.Context, f triage.ItemFilter) ([]triage.Item, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []triage.Item
	for _, it := range s.items {
		if len(out) == limit {
			break
		}
		if it.ExhibitID == f.ExhibitID && it.ID > f.After && (f.State == "" || it.State == f.State) &&
			(f.Verdict == "" || it.Verdict == f.Verdict) && (f.ParentID == 0 || it.ParentID == f.ParentID) &&
			(f.Path == "" || it.Path == f.Path) {
			out = append(out, it.Item)
		}
	}
	return out, nil
}

// stuck reports whether an item is processing with a lease that ran out.
func (it *item) stuck(now time.Time) bool {
	return it.State == triage.StateProcessing && it.leaseUntil.Before(now)
}

// ExhibitStatus implements triage.ItemStore.
func (s *Items) ExhibitStatus(_ context.Context, exhibitID int64) (triage.ExhibitStatus, error) {
	st := triage.ExhibitStatus{States: map[triage.ItemState]int64{}, Verdicts: map[triage.Verdict]int64{}}
	for _, v := range triage.ItemStates {
		st.States[v] = 0
	}
	for _, v := range triage.Verdicts {
		st.Verdicts[v] = 0
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.items {
		it := &s.items[i]
		if it.ExhibitID != exhibitID {
			continue
		}
		st.Items++
		st.Bytes += it.Size
		st.States[it.State]++
		if it.Verdict != "" {
			st.Verdicts[it.Verdict]++
		}
		if it.State.Final() {
			st.Done++
		} else if it.Attempts > 1 {
			st.Retried++
		}
		if it.stuck(now) {
			st.Stuck++
		}
	}
	st.Progress = 1
	if st.Items > 0 {
		st.Progress = float64(st.Done) / float64(st.Items)
	}
	return st, nil
}

// ClaimItem implements triage.ItemStore.
func (s *Items) ClaimItem(_ context.Context, id int64, lease time.Duration) (triage.Item, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.get(id)
	if err != nil {
		return triage.Item{}, err
	}
	if it.State.Final() {
		return it.Item, triage.Errorf(triage.ECONFLICT, "item %d is already %s", id, it.State)
	}
	it.State, it.leaseUntil = triage.StateProcessing, now.Add(lease)
	it.Attempts++
	return it.Item, nil
}

// ExtendLease implements triage.ItemStore.
func (s *Items) ExtendLease(_ context.Context, id int64, attempt int, lease time.Duration) error {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.get(id)
	if err != nil || it.State != triage.StateProcessing || it.Attempts != attempt {
		return triage.Errorf(triage.ECONFLICT, "item %d is no longer held by attempt %d", id, attempt)
	}
	it.leaseUntil = now.Add(lease)
	return nil
}

// ItemHealth implements triage.ItemStore.
func (s *Items) ItemHealth(context.Context) (stuck, retried int64, err error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.items {
		it := &s.items[i]
		if it.stuck(now) {
			stuck++
		}
		if !it.State.Final() && it.Attempts > 1 {
			retried++
		}
	}
	return stuck, retried, nil
}

// FinishItem implements triage.ItemStore.
func (s *Items) FinishItem(_ context.Context, id int64, r triage.ItemResult) (bool, error) {
	state, verdict := triage.StateDone, r.Decision.Verdict
	errCode, errMsg := "", ""
	if r.Err != nil {
		state, verdict = triage.StateFailed, triage.VerdictError
		errCode, errMsg = triage.ErrorCode(r.Err), triage.ErrorMessage(r.Err)
	} else if verdict == triage.VerdictError {
		state = triage.StateFailed
		if fp := r.Fingerprint; fp != nil && fp.Err != nil {
			errCode, errMsg = triage.ErrorCode(fp.Err), triage.ErrorMessage(fp.Err)
		}
	}
	if verdict == "" {
		return false, triage.Errorf(triage.EINVALID, "finish item %d: no verdict", id)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.get(id)
	if err != nil {
		return false, err
	}
	if it.State.Final() {
		return false, nil
	}
	if fp := r.Fingerprint; fp != nil {
		it.ApplyFingerprint(fp)
	}
	it.EXIF = nil
	if len(r.EXIF) > 0 {
		it.EXIF = maps.Clone(r.EXIF)
	}
	it.State, it.Verdict, it.Reason, it.Category = state, verdict, r.Decision.Reason, r.Decision.Category
	it.ThumbnailKey, it.ErrorCode, it.Error, it.FinishedAt, it.leaseUntil = r.ThumbnailKey, errCode, errMsg, now, time.Time{}
	if s.matches == nil {
		s.matches = map[int64][]triage.MatchRecord{}
	}
	for _, m := range r.Matches {
		s.matches[id] = append(s.matches[id], triage.MatchRecord{ItemID: id, Match: m})
	}
	if s.Reviews != nil {
		s.Reviews.admit(&it.Item, verdict, r)
	}
	// In the order PostgreSQL lists them: by set, entry and algorithm.
	slices.SortStableFunc(s.matches[id], func(a, b triage.MatchRecord) int {
		return cmp.Or(strings.Compare(a.Set, b.Set), cmp.Compare(a.Entry, b.Entry), strings.Compare(a.Algo.String(), b.Algo.String()))
	})
	return true, nil
}

// DigestsOf implements triage.ItemStore.
func (s *Items) DigestsOf(_ context.Context, sum triage.SHA256) (triage.Digests, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range s.items {
		if it.SHA256 == sum {
			return it.Digests, nil
		}
	}
	return triage.Digests{}, triage.Errorf(triage.ENOTFOUND, "no item with SHA-256 %s", sum)
}

// Matches implements triage.ItemStore.
func (s *Items) Matches(_ context.Context, itemID int64) ([]triage.MatchRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.matches[itemID]), nil
}

// StuckItems implements triage.ItemStore.
func (s *Items) StuckItems(_ context.Context, grace time.Duration, limit int) ([]int64, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int64
	for i := range s.items {
		it := &s.items[i]
		if len(out) == limit {
			break
		}
		if it.State == triage.StateReceived && it.ReceivedAt.Before(now.Add(-grace)) || it.stuck(now) {
			out = append(out, it.ID)
		}
	}
	return out, nil
}

// casesOf returns the ids of the cases with an item holding content sum.
func (s *Items) casesOf(sum triage.SHA256) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int64
	for _, it := range s.items {
		if it.SHA256 == sum && !slices.Contains(out, it.CaseID) {
			out = append(out, it.CaseID)
		}
	}
	return out
}

// withContent returns the items holding content sum, by id.
func (s *Items) withContent(sum triage.SHA256) []triage.Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []triage.Item
	for _, it := range s.items {
		if it.SHA256 == sum {
			out = append(out, it.Item)
		}
	}
	return out
}

// siblings returns the other items of it's folder: the same parent
// archive and inner folder, or the same exhibit and folder (at most 500,
// by path).
func (s *Items) siblings(it *triage.Item, caseName, exhibit string) []triage.ReviewItemRef {
	dirOf := func(p string) string {
		if i := strings.LastIndexByte(p, '/'); i >= 0 {
			return p[:i+1]
		}
		return ""
	}
	inArchive := it.ParentID != 0
	dir := dirOf(it.Path)
	if inArchive {
		dir = dirOf(it.InnerPath)
	}
	s.mu.Lock()
	var out []triage.ReviewItemRef
	for _, o := range s.items {
		p := o.Path
		if inArchive {
			p = o.InnerPath
		}
		if o.ID == it.ID || len(out) == 500 || dirOf(p) != dir ||
			(inArchive && o.ParentID != it.ParentID) || (!inArchive && (o.ExhibitID != it.ExhibitID || o.ParentID != 0)) {
			continue
		}
		out = append(out, triage.ReviewItemRef{ItemID: o.ID, Case: caseName, Exhibit: exhibit, Path: o.Path, InnerPath: o.InnerPath})
	}
	s.mu.Unlock()
	slices.SortStableFunc(out, func(a, b triage.ReviewItemRef) int { return strings.Compare(a.Path+a.InnerPath, b.Path+b.InnerPath) })
	if out == nil {
		out = []triage.ReviewItemRef{}
	}
	return out
}
