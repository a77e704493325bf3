package memstore

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// Users is a user, token, password and session store in memory
// (triage.UserStore and triage.SessionStore). Audit records the events
// that commit with a change (RevokeToken, SetDisabled, SetPassword,
// CreateSession): the change is made only when its event is recorded.
// The zero value with Audit set is empty and ready; Now, when set, is the
// clock.
type Users struct {
	Audit *Audit
	Now   func() time.Time

	mu        sync.Mutex
	users     []triage.User
	tokens    []triage.Token
	nextID    int64
	passwords map[int64]string
	sessions  []triage.Session
	nextSess  int64
}

var (
	_ triage.UserStore    = (*Users)(nil)
	_ triage.SessionStore = (*Users)(nil)
)

func (s *Users) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now().UTC()
}

// record records audit, when not nil, for a change that is about to be
// made; the caller holds s.mu.
func (s *Users) record(audit *triage.AuditEvent) error {
	if audit == nil {
		return nil
	}
	return s.Audit.record(audit)
}

// CreateUser implements triage.UserStore.
func (s *Users) CreateUser(_ context.Context, u *triage.User, audit *triage.AuditEvent) error {
	if err := u.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.ContainsFunc(s.users, func(x triage.User) bool { return x.Name == u.Name }) {
		return triage.Errorf(triage.ECONFLICT, "user %q already exists", u.Name)
	}
	if err := s.record(audit); err != nil {
		return err
	}
	u.ID, u.CreatedAt = int64(len(s.users)+1), s.now()
	s.users = append(s.users, *u)
	return nil
}

// UserByName implements triage.UserStore.
func (s *Users) UserByName(_ context.Context, name string) (triage.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := slices.IndexFunc(s.users, func(x triage.User) bool { return x.Name == name }); k >= 0 {
		return s.users[k], nil
	}
	return triage.User{}, triage.Errorf(triage.ENOTFOUND, "no user %q", name)
}

// Users implements triage.UserStore.
func (s *Users) Users(context.Context) ([]triage.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.users)
	slices.SortFunc(out, func(a, b triage.User) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// CreateToken implements triage.UserStore.
func (s *Users) CreateToken(_ context.Context, t *triage.Token, audit triage.AuditOf[triage.Token]) error {
	if t.Hash.IsZero() {
		return triage.Errorf(triage.EINVALID, "token has no hash")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.ContainsFunc(s.users, func(u triage.User) bool { return u.ID == t.UserID }) {
		return triage.Errorf(triage.ENOTFOUND, "no user %d", t.UserID)
	}
	if slices.ContainsFunc(s.tokens, func(x triage.Token) bool { return x.Hash == t.Hash }) {
		return triage.Errorf(triage.ECONFLICT, "a token with this hash exists")
	}
	n := *t
	n.ID, n.CreatedAt = s.nextID+1, s.now()
	if err := recordOf(s.Audit, audit, n); err != nil {
		return err
	}
	s.nextID++
	*t = n
	s.tokens = append(s.tokens, n)
	return nil
}

// Authenticate implements triage.UserStore. It records the token's use,
// to the minute.
func (s *Users) Authenticate(_ context.Context, hash triage.SHA256) (triage.User, triage.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := slices.IndexFunc(s.tokens, func(t triage.Token) bool { return t.Hash == hash })
	if k < 0 {
		return triage.User{}, triage.Token{}, triage.ErrBadToken
	}
	t := &s.tokens[k]
	u := s.users[slices.IndexFunc(s.users, func(u triage.User) bool { return u.ID == t.UserID })]
	now := s.now()
	if u.Disabled || (!t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)) {
		return triage.User{}, triage.Token{}, triage.ErrBadToken
	}
	if t.LastUsed.IsZero() || now.Sub(t.LastUsed) >= time.Minute {
		t.LastUsed = now
	}
	return u, *t, nil
}

// RevokeToken implements triage.UserStore.
func (s *Users) RevokeToken(ctx context.Context, id int64, audit *triage.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := slices.IndexFunc(s.tokens, func(t triage.Token) bool { return t.ID == id })
	if k < 0 {
		return triage.Errorf(triage.ENOTFOUND, "no token %d", id)
	}
	if err := s.record(audit); err != nil {
		return err
	}
	s.tokens = slices.Delete(s.tokens, k, k+1)
	return nil
}

// Tokens implements triage.UserStore.
func (s *Users) Tokens(_ context.Context, userID int64) ([]triage.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []triage.Token
	for _, t := range s.tokens {
		if userID == 0 || t.UserID == userID {
			t.Hash = triage.SHA256{}
			out = append(out, t)
		}
	}
	return out, nil
}

// SetDisabled implements triage.UserStore.
func (s *Users) SetDisabled(ctx context.Context, userID int64, disabled bool, audit *triage.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := slices.IndexFunc(s.users, func(u triage.User) bool { return u.ID == userID })
	if k < 0 {
		return triage.Errorf(triage.ENOTFOUND, "no user %d", userID)
	}
	if err := s.record(audit); err != nil {
		return err
	}
	s.users[k].Disabled = disabled
	if disabled {
		s.endSessions(userID)
	}
	return nil
}

// exists reports whether there is a user with id.
func (s *Users) exists(id int64) bool {
	_, ok := s.byID(id)
	return ok
}

// byID returns the user with id, if there is one.
func (s *Users) byID(id int64) (triage.User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := slices.IndexFunc(s.users, func(u triage.User) bool { return u.ID == id }); k >= 0 {
		return s.users[k], true
	}
	return triage.User{}, false
}
