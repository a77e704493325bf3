package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// Wellness keeps reviewers' wellness settings and exposure counts in
// memory (triage.WellnessStore); Audit records the events that commit
// with saved settings. The zero value with Audit set is empty and ready;
// Now, when set, is the clock (days are UTC days).
type Wellness struct {
	Audit *Audit
	Now   func() time.Time

	mu    sync.Mutex
	users map[int64]*wellness
}

// wellness is one user's settings and counts.
type wellness struct {
	settings   *triage.WellnessSettings // nil: the defaults
	days       map[string]int64         // UTC day -> reveals
	sinceBreak int64
	lastBreak  time.Time
	reveals    map[int64]time.Time // item id -> when last counted
}

var _ triage.WellnessStore = (*Wellness)(nil)

func (s *Wellness) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now().UTC()
}

// user returns a user's record, made on first use; the caller holds s.mu.
func (s *Wellness) user(id int64) *wellness {
	if s.users == nil {
		s.users = map[int64]*wellness{}
	}
	w := s.users[id]
	if w == nil {
		w = &wellness{days: map[string]int64{}, reveals: map[int64]time.Time{}}
		s.users[id] = w
	}
	return w
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// WellnessSettings implements triage.WellnessStore.
func (s *Wellness) WellnessSettings(_ context.Context, userID int64) (triage.WellnessSettings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings(userID), nil
}

// settings returns a user's settings; the caller holds s.mu.
func (s *Wellness) settings(userID int64) triage.WellnessSettings {
	if w := s.users[userID]; w != nil && w.settings != nil {
		return *w.settings
	}
	return triage.DefaultWellnessSettings()
}

// SaveWellnessSettings implements triage.WellnessStore. The first save
// starts the clock of the minutes since the last break, as PostgreSQL's
// does.
func (s *Wellness) SaveWellnessSettings(_ context.Context, userID int64, ws triage.WellnessSettings, audit *triage.AuditEvent) error {
	if err := ws.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if audit != nil {
		if err := s.Audit.record(audit); err != nil {
			return err
		}
	}
	w := s.user(userID)
	if w.lastBreak.IsZero() {
		w.lastBreak = s.now()
	}
	w.settings = &ws
	return nil
}

// AddExposure implements triage.WellnessStore.
func (s *Wellness) AddExposure(ctx context.Context, userID int64, n int, itemID int64) (triage.Exposure, error) {
	if n < 0 || n > 10000 || (itemID != 0 && n != 1) {
		return triage.Exposure{}, triage.Errorf(triage.EINVALID, "revealed count %d is out of range (0-10000, or 1 for one item)", n)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.user(userID)
	if itemID != 0 {
		// Counted when the item was not revealed since the last break.
		if at, ok := w.reveals[itemID]; ok && (w.lastBreak.IsZero() || !at.Before(w.lastBreak)) {
			n = 0
		} else {
			w.reveals[itemID] = now
		}
	}
	if n > 0 {
		w.days[day(now)] += int64(n)
		w.sinceBreak += int64(n)
		if w.lastBreak.IsZero() {
			w.lastBreak = now
		}
	}
	return s.exposure(userID, now), nil
}

// exposure returns a user's counts at now; the caller holds s.mu.
func (s *Wellness) exposure(userID int64, now time.Time) triage.Exposure {
	var e triage.Exposure
	if w := s.users[userID]; w != nil {
		e.Today, e.SinceBreak, e.LastBreak = w.days[day(now)], w.sinceBreak, w.lastBreak
		for _, n := range w.days {
			e.Total += n
		}
	}
	e.BreakDue = s.settings(userID).BreakDue(e, now)
	return e
}

// Exposure implements triage.WellnessStore.
func (s *Wellness) Exposure(_ context.Context, userID int64) (triage.Exposure, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exposure(userID, now), nil
}

// TakeBreak implements triage.WellnessStore.
func (s *Wellness) TakeBreak(_ context.Context, userID int64) (triage.Exposure, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.user(userID)
	w.sinceBreak, w.lastBreak = 0, now
	return s.exposure(userID, now), nil
}
