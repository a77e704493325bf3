package memstore

import (
	"context"
	"slices"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// errBadSession says no more than that the session is gone.
var errBadSession = triage.Errorf(triage.EUNAUTHORIZED, "not logged in, or the session expired: log in again")

// endSessions deletes a user's sessions and returns how many there were;
// the caller holds s.mu.
func (s *Users) endSessions(userID int64) int64 {
	n := len(s.sessions)
	s.sessions = slices.DeleteFunc(s.sessions, func(ss triage.Session) bool { return ss.UserID == userID })
	return int64(n - len(s.sessions))
}

// SetPassword implements triage.SessionStore.
func (s *Users) SetPassword(_ context.Context, userID int64, hash string, audit *triage.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.ContainsFunc(s.users, func(u triage.User) bool { return u.ID == userID }) {
		return triage.Errorf(triage.ENOTFOUND, "no user %d", userID)
	}
	if err := s.record(audit); err != nil {
		return err
	}
	if s.passwords == nil {
		s.passwords = map[int64]string{}
	}
	s.passwords[userID] = hash
	s.endSessions(userID)
	return nil
}

// PasswordHash implements triage.SessionStore.
func (s *Users) PasswordHash(_ context.Context, name string) (triage.User, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := slices.IndexFunc(s.users, func(u triage.User) bool { return u.Name == name })
	if k < 0 {
		return triage.User{}, "", triage.Errorf(triage.ENOTFOUND, "no user %q", name)
	}
	return s.users[k], s.passwords[s.users[k].ID], nil
}

// CreateSession implements triage.SessionStore. Sessions past their
// expiry are dropped as it goes, as PostgreSQL's are.
func (s *Users) CreateSession(_ context.Context, ss *triage.Session, audit *triage.AuditEvent) error {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.ContainsFunc(s.users, func(u triage.User) bool { return u.ID == ss.UserID }) {
		return triage.Errorf(triage.ENOTFOUND, "no user %d", ss.UserID)
	}
	if slices.ContainsFunc(s.sessions, func(x triage.Session) bool { return x.Hash == ss.Hash }) {
		return triage.Errorf(triage.ECONFLICT, "a session with this hash exists")
	}
	if err := s.record(audit); err != nil {
		return err
	}
	s.nextSess++
	ss.ID, ss.CreatedAt = s.nextSess, now
	s.sessions = slices.DeleteFunc(s.sessions, func(x triage.Session) bool { return x.ExpiresAt.Before(now) || x.IdleUntil.Before(now) })
	s.sessions = append(s.sessions, *ss)
	return nil
}

// TouchSession implements triage.SessionStore.
func (s *Users) TouchSession(_ context.Context, hash triage.SHA256, idle time.Duration) (triage.User, triage.Session, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := slices.IndexFunc(s.sessions, func(x triage.Session) bool { return x.Hash == hash })
	if k < 0 {
		return triage.User{}, triage.Session{}, errBadSession
	}
	ss := &s.sessions[k]
	u := s.users[slices.IndexFunc(s.users, func(u triage.User) bool { return u.ID == ss.UserID })]
	if u.Disabled || !ss.IdleUntil.After(now) || !ss.ExpiresAt.After(now) {
		return triage.User{}, triage.Session{}, errBadSession
	}
	ss.IdleUntil = now.Add(idle.Truncate(time.Microsecond))
	if ss.IdleUntil.After(ss.ExpiresAt) {
		ss.IdleUntil = ss.ExpiresAt
	}
	return u, *ss, nil
}

// DeleteSession implements triage.SessionStore.
func (s *Users) DeleteSession(_ context.Context, hash triage.SHA256) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions = slices.DeleteFunc(s.sessions, func(x triage.Session) bool { return x.Hash == hash })
	return nil
}

// DeleteSessions implements triage.SessionStore.
func (s *Users) DeleteSessions(_ context.Context, userID int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endSessions(userID), nil
}
