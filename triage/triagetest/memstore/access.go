package memstore

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/winnow-forensics/winnow/triage"
)

// Access keeps who may see which case in memory (triage.AccessStore),
// over the cases of Cases, the users of Users, the items of Items and the
// review queue of Reviews (nil: there is none, and no review group or
// member is visible, as PostgreSQL answers for one that does not exist);
// Audit records the events that commit with a change.
type Access struct {
	Cases   *Cases
	Users   *Users
	Items   *Items
	Reviews *Reviews
	Audit   *Audit

	mu      sync.Mutex
	members map[[2]int64]bool // case id, user id
}

var _ triage.AccessStore = (*Access)(nil)

// CanSeeCase implements triage.AccessStore.
func (s *Access) CanSeeCase(_ context.Context, v triage.Viewer, caseID int64) (bool, error) {
	if v.All {
		return true, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.members[[2]int64{caseID, v.UserID}], nil
}

// CanSeeEvidence implements triage.AccessStore.
func (s *Access) CanSeeEvidence(ctx context.Context, v triage.Viewer, sum triage.SHA256) (bool, error) {
	for _, c := range s.Items.casesOf(sum) {
		if ok, _ := s.CanSeeCase(ctx, v, c); ok {
			return true, nil
		}
	}
	return false, nil
}

// CanSeeReviewGroup implements triage.AccessStore. A group merged into
// another is as visible as the one it went into (whose members it gave).
func (s *Access) CanSeeReviewGroup(_ context.Context, v triage.Viewer, groupID int64) (bool, error) {
	return s.Reviews != nil && s.Reviews.canSeeGroup(v, groupID), nil
}

// CanSeeReviewMember implements triage.AccessStore.
func (s *Access) CanSeeReviewMember(_ context.Context, v triage.Viewer, memberID int64) (bool, error) {
	return s.Reviews != nil && s.Reviews.canSeeMember(v, memberID), nil
}

// MemberCases implements triage.AccessStore.
func (s *Access) MemberCases(_ context.Context, userID int64) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int64
	for k := range s.members {
		if k[1] == userID {
			out = append(out, k[0])
		}
	}
	slices.Sort(out)
	return out, nil
}

// AddCaseMember implements triage.AccessStore.
func (s *Access) AddCaseMember(_ context.Context, caseID, userID int64, audit *triage.AuditEvent) error {
	if !s.Cases.exists(caseID) || !s.Users.exists(userID) {
		return triage.Errorf(triage.ENOTFOUND, "no such case or user")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if audit != nil {
		if err := s.Audit.record(audit); err != nil {
			return err
		}
	}
	if s.members == nil {
		s.members = map[[2]int64]bool{}
	}
	s.members[[2]int64{caseID, userID}] = true
	return nil
}

// RemoveCaseMember implements triage.AccessStore.
func (s *Access) RemoveCaseMember(_ context.Context, caseID, userID int64, audit *triage.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]int64{caseID, userID}
	if !s.members[k] {
		return triage.Errorf(triage.ENOTFOUND, "the user is not a member of the case")
	}
	if audit != nil {
		if err := s.Audit.record(audit); err != nil {
			return err
		}
	}
	delete(s.members, k)
	return nil
}

// CaseMembers implements triage.AccessStore.
func (s *Access) CaseMembers(_ context.Context, caseID int64) ([]triage.User, error) {
	s.mu.Lock()
	var ids []int64
	for k := range s.members {
		if k[0] == caseID {
			ids = append(ids, k[1])
		}
	}
	s.mu.Unlock()
	var out []triage.User
	for _, id := range ids {
		if u, ok := s.Users.byID(id); ok {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b triage.User) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
