package memstore

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// Cases is a case store in memory (triage.CaseStore). The zero value is
// empty and ready; Now, when set, is the clock.
type Cases struct {
	Now func() time.Time

	mu       sync.Mutex
	cases    []triage.Case
	exhibits []triage.Exhibit
}

var _ triage.CaseStore = (*Cases)(nil)

func (s *Cases) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now().UTC()
}

func (s *Cases) find(name string) int {
	return slices.IndexFunc(s.cases, func(c triage.Case) bool { return c.Name == name })
}

// CreateCase implements triage.CaseStore.
func (s *Cases) CreateCase(_ context.Context, c *triage.Case) error {
	if err := c.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.find(c.Name) >= 0 {
		return triage.Errorf(triage.ECONFLICT, "case %q already exists", c.Name)
	}
	c.ID, c.CreatedAt = int64(len(s.cases)+1), s.now()
	s.cases = append(s.cases, *c)
	return nil
}

// EnsureCase implements triage.CaseStore.
func (s *Cases) EnsureCase(ctx context.Context, c *triage.Case) (bool, error) {
	if err := c.Validate(); err != nil {
		return false, err
	}
	s.mu.Lock()
	if k := s.find(c.Name); k >= 0 {
		*c = s.cases[k]
		s.mu.Unlock()
		return false, nil
	}
	s.mu.Unlock()
	if err := s.CreateCase(ctx, c); err != nil {
		if triage.ErrorCode(err) == triage.ECONFLICT { // created meanwhile
			return s.EnsureCase(ctx, c)
		}
		return false, err
	}
	return true, nil
}

// Case implements triage.CaseStore.
func (s *Cases) Case(_ context.Context, name string) (triage.Case, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := s.find(name); k >= 0 {
		return s.cases[k], nil
	}
	return triage.Case{}, triage.Errorf(triage.ENOTFOUND, "no case %q", name)
}

// Cases implements triage.CaseStore.
func (s *Cases) Cases(context.Context) ([]triage.Case, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.cases)
	slices.SortFunc(out, func(a, b triage.Case) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// EnsureExhibit implements triage.CaseStore.
func (s *Cases) EnsureExhibit(_ context.Context, e *triage.Exhibit) (bool, error) {
	if err := e.Validate(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.ContainsFunc(s.cases, func(c triage.Case) bool { return c.ID == e.CaseID }) {
		return false, triage.Errorf(triage.ENOTFOUND, "no case %d", e.CaseID)
	}
	if k := slices.IndexFunc(s.exhibits, func(x triage.Exhibit) bool { return x.CaseID == e.CaseID && x.Name == e.Name }); k >= 0 {
		*e = s.exhibits[k]
		return false, nil
	}
	e.ID, e.CreatedAt = int64(len(s.exhibits)+1), s.now()
	s.exhibits = append(s.exhibits, *e)
	return true, nil
}

// Exhibit implements triage.CaseStore.
func (s *Cases) Exhibit(_ context.Context, caseID int64, name string) (triage.Exhibit, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := slices.IndexFunc(s.exhibits, func(x triage.Exhibit) bool { return x.CaseID == caseID && x.Name == name }); k >= 0 {
		return s.exhibits[k], nil
	}
	return triage.Exhibit{}, triage.Errorf(triage.ENOTFOUND, "no exhibit %q in case %d", name, caseID)
}

// Exhibits implements triage.CaseStore.
func (s *Cases) Exhibits(_ context.Context, caseID int64) ([]triage.Exhibit, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []triage.Exhibit
	for _, x := range s.exhibits {
		if x.CaseID == caseID {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b triage.Exhibit) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// exhibitByID returns the exhibit with id, if there is one.
func (s *Cases) exhibitByID(id int64) (triage.Exhibit, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := slices.IndexFunc(s.exhibits, func(x triage.Exhibit) bool { return x.ID == id })
	if k < 0 {
		return triage.Exhibit{}, false
	}
	return s.exhibits[k], true
}

// exists reports whether there is a case with id.
func (s *Cases) exists(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.ContainsFunc(s.cases, func(c triage.Case) bool { return c.ID == id })
}

// names returns the names of a case and of an exhibit ("" for one that
// does not exist).
func (s *Cases) names(caseID, exhibitID int64) (caseName, exhibit string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := slices.IndexFunc(s.cases, func(c triage.Case) bool { return c.ID == caseID }); k >= 0 {
		caseName = s.cases[k].Name
	}
	if k := slices.IndexFunc(s.exhibits, func(x triage.Exhibit) bool { return x.ID == exhibitID }); k >= 0 {
		exhibit = s.exhibits[k].Name
	}
	return caseName, exhibit
}
