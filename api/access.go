package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/winnow-forensics/winnow/triage"
)

// The case boundary: authorize runs after authenticate on every route
// whose scope names a case, an item, content or a review group, finds the
// case(s) it belongs to and refuses a user who may not see them, with the
// same 404 a missing object gets, so that existence does not leak. Each
// refusal on a case-scoped route is audited (access.denied).

// Context keys of what authorize resolved, for the handlers.
const (
	caseKey = "case"
	itemKey = "item"
)

// Outcome is what the authorization matrix declares for one request.
type Outcome int

// Outcomes.
const (
	Allowed         Outcome = iota // the request reaches the handler
	Unauthenticated                // 401
	Forbidden                      // 403
	Hidden                         // 404, as for an object that does not exist
)

// Status is the HTTP status of a refusal (0 for Allowed).
func (o Outcome) Status() int {
	return [...]int{0, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}[o]
}

func (o Outcome) String() string {
	return [...]string{"allowed", "401", "403", "404"}[o]
}

// RouteInfo is one row of the route table, as tests and documentation
// see it.
type RouteInfo struct {
	Method string
	Path   string
	Perm   triage.Permission
	// Scope is the case rule: public, global, byCase, newCase, byItem,
	// byEvidence, byGroup, byMember; "" when the row has none.
	Scope string
}

var scopeNames = map[scope]string{public: "public", global: "global", byCase: "byCase", newCase: "newCase",
	byItem: "byItem", byEvidence: "byEvidence", byGroup: "byGroup", byMember: "byMember"}

// Routes lists the route table.
func (s *Server) Routes() []RouteInfo {
	var out []RouteInfo
	for _, r := range s.routes() {
		out = append(out, RouteInfo{Method: r.method, Path: r.path, Perm: r.perm, Scope: scopeNames[r.scope]})
	}
	return out
}

// Expect returns the declared outcome of a request to the route by a user
// of role r (r "" for a request without credentials) who is or is not a
// member of the case the request touches.
func (ri RouteInfo) Expect(r triage.Role, member bool) Outcome {
	switch {
	case ri.Scope == "public":
		return Allowed
	case r == "":
		return Unauthenticated
	case !r.Can(ri.Perm):
		return Forbidden
	case ri.Scope == "global" || member || triage.SeesEveryCase(r):
		return Allowed
	case ri.Scope == "newCase":
		return Forbidden
	default:
		return Hidden
	}
}

// caseByName resolves a case name. Cases are never renamed or deleted,
// so a resolution is kept for the server's life.
func (s *Server) caseByName(ctx context.Context, name string) (triage.Case, error) {
	if v, ok := s.cases.Load(name); ok {
		return v.(triage.Case), nil
	}
	cs, err := s.cfg.Cases.Case(ctx, name)
	if err == nil {
		s.cases.Store(name, cs)
	}
	return cs, err
}

// MembershipCacheTTL is how long a user's membership of a case is trusted
// without asking the database again. Taking a user off a case through
// this server's API takes effect at once; through another serve process
// or winnow admin, within this time.
const MembershipCacheTTL = 5 * time.Second

type membership struct{ user, cs int64 }

// canSeeCase is AccessStore.CanSeeCase with memberships cached for
// MembershipCacheTTL (refusals are not cached).
func (s *Server) canSeeCase(ctx context.Context, v triage.Viewer, caseID int64) (bool, error) {
	if v.All {
		return true, nil
	}
	k := membership{v.UserID, caseID}
	if until, ok := s.members.Load(k); ok && time.Now().Before(until.(time.Time)) {
		return true, nil
	}
	ok, err := s.cfg.Access.CanSeeCase(ctx, v, caseID)
	if ok && err == nil {
		s.members.Store(k, time.Now().Add(MembershipCacheTTL))
	}
	return ok, err
}

// forgetMembership drops a cached membership (the user was taken off).
func (s *Server) forgetMembership(userID, caseID int64) { s.members.Delete(membership{userID, caseID}) }

// caseScoped reports whether a scope names a case's object.
func (sc scope) caseScoped() bool { return sc >= byCase }

// authorize enforces a route's case rule (see scope).
func (s *Server) authorize(r route) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		_, v := viewer(c)
		var target string
		var err error
		// exists: the object was found, so a refusal is an attempt on
		// something real and is audited.
		visible, exists := false, false
		switch r.scope {
		case byCase, newCase:
			target = "case/" + c.Param("case")
			var cs triage.Case
			cs, err = s.caseByName(ctx, c.Param("case"))
			if triage.ErrorCode(err) == triage.ENOTFOUND && r.scope == newCase {
				c.Next() // the handler creates it
				return
			}
			if err == nil {
				c.Set(caseKey, cs)
				exists = true
				visible, err = s.canSeeCase(ctx, v, cs.ID)
			}
			if err == nil && !visible && r.scope == newCase {
				s.deny(c, r, target, triage.Errorf(triage.EFORBIDDEN,
					"case %q exists and you are not a member: an administrator adds you with \"winnow admin case member\"", cs.Name))
				return
			}
			err = hide(err, visible, "no case %q that you may see", c.Param("case"))
		case byItem:
			target = "item/" + c.Param("id")
			var it triage.Item
			id, perr := strconv.ParseInt(c.Param("id"), 10, 64)
			if perr != nil || id <= 0 {
				s.fail(c, triage.Errorf(triage.EINVALID, "item id %q is not a number", c.Param("id")))
				return
			}
			if it, err = s.cfg.Items.Item(ctx, id); err == nil {
				c.Set(itemKey, it)
				exists = true
				visible, err = s.canSeeCase(ctx, v, it.CaseID)
			}
			err = hide(err, visible, "no item %d that you may see", id)
		case byEvidence:
			target = "evidence/" + c.Param("sha256")
			sum, perr := triage.ParseSHA256(strings.ToLower(c.Param("sha256")))
			if perr != nil {
				s.fail(c, perr)
				return
			}
			visible, err = s.cfg.Access.CanSeeEvidence(ctx, v, sum)
			err = hide(err, visible, "no stored evidence with SHA-256 %s that you may see", sum)
		case byGroup, byMember:
			what := map[scope]string{byGroup: "group", byMember: "member"}[r.scope]
			target = "review/" + what + "/" + c.Param("id")
			id, perr := idParam(c, "review "+what)
			if perr != nil {
				s.fail(c, perr)
				return
			}
			if r.scope == byGroup {
				visible, err = s.cfg.Access.CanSeeReviewGroup(ctx, v, id)
			} else {
				visible, err = s.cfg.Access.CanSeeReviewMember(ctx, v, id)
			}
			err = hide(err, visible, "no review %s %d that you may see", what, id)
		}
		switch {
		case err == nil:
			c.Next()
		case exists && !visible && triage.ErrorCode(err) == triage.ENOTFOUND:
			s.deny(c, r, target, err)
		default:
			s.fail(c, err)
		}
	}
}

// hide turns "exists but not visible" and "does not exist" into one
// not-found error with msg; other errors pass.
func hide(err error, visible bool, msg string, args ...any) error {
	if err != nil && triage.ErrorCode(err) != triage.ENOTFOUND {
		return err
	}
	if err == nil && visible {
		return nil
	}
	return triage.Errorf(triage.ENOTFOUND, msg, args...)
}

// deny refuses a request on a case-scoped route and audits the attempt.
func (s *Server) deny(c *gin.Context, r route, target string, err error) {
	s.audit(c, triage.AuditAccessDenied, target, map[string]string{
		"route": r.method + " " + r.path, "status": strconv.Itoa(ErrorStatus(err))})
	s.fail(c, err)
}
