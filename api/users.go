package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/winnow-forensics/winnow/triage"
)

// handleMe returns the authenticated user.
//
//	GET /api/v1/me
func (s *Server) handleMe(c *gin.Context) {
	u, _ := UserFromContext(c.Request.Context())
	c.JSON(http.StatusOK, u)
}

// handleListUsers lists users.
//
//	GET /api/v1/users
func (s *Server) handleListUsers(c *gin.Context) {
	us, err := s.cfg.Users.Users(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"users": nonNil(us)})
}

// handleCreateUser creates a user: {"name": "...", "role": "examiner"}.
//
//	POST /api/v1/users
func (s *Server) handleCreateUser(c *gin.Context) {
	var body struct {
		Name string `json:"name"`
		Role string `json:"role"`
	}
	if err := bindJSON(c, &body); err != nil {
		s.fail(c, err)
		return
	}
	u := triage.User{Name: body.Name, Role: triage.Role(body.Role)}
	if err := s.cfg.Users.CreateUser(c.Request.Context(), &u); err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, triage.AuditUserCreate, "user/"+u.Name, map[string]string{"role": string(u.Role)})
	c.JSON(http.StatusCreated, u)
}

// handleCreateToken makes a bearer token for a user: {"name": "laptop",
// "expires_in_days": 90} (0: no expiry). The secret is in this response
// only; the service keeps its SHA-256.
//
//	POST /api/v1/users/{name}/tokens
func (s *Server) handleCreateToken(c *gin.Context) {
	var body struct {
		Name    string `json:"name"`
		Expires int    `json:"expires_in_days"`
	}
	if err := bindJSON(c, &body); err != nil {
		s.fail(c, err)
		return
	}
	if body.Expires < 0 {
		s.fail(c, triage.Errorf(triage.EINVALID, "expires_in_days must be >= 0"))
		return
	}
	u, err := s.cfg.Users.UserByName(c.Request.Context(), c.Param("name"))
	if err != nil {
		s.fail(c, err)
		return
	}
	secret, hash := triage.NewTokenSecret()
	t := triage.Token{UserID: u.ID, Name: body.Name, Hash: hash}
	if body.Expires > 0 {
		t.ExpiresAt = time.Now().Add(time.Duration(body.Expires) * 24 * time.Hour)
	}
	if err := s.cfg.Users.CreateToken(c.Request.Context(), &t); err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, triage.AuditTokenCreate, "user/"+u.Name, map[string]string{"token_id": strconv.FormatInt(t.ID, 10), "name": t.Name})
	c.JSON(http.StatusCreated, TokenJSON{Token: t, User: u.Name, Secret: secret})
}

// handleRevokeToken deletes a token.
//
//	DELETE /api/v1/tokens/{id}
func (s *Server) handleRevokeToken(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		s.fail(c, triage.Errorf(triage.EINVALID, "token id %q is not a number", c.Param("id")))
		return
	}
	if err := s.cfg.Users.RevokeToken(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, triage.AuditTokenRevoke, "token/"+c.Param("id"), nil)
	c.Status(http.StatusNoContent)
}

// handleListAudit lists audit events, newest first: action, target, before
// (id), limit.
//
//	GET /api/v1/audit
func (s *Server) handleListAudit(c *gin.Context) {
	f := triage.AuditFilter{Action: c.Query("action"), Target: c.Query("target")}
	if v := c.Query("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.fail(c, triage.Errorf(triage.EINVALID, "before=%q is not an event id", v))
			return
		}
		f.Before = n
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.fail(c, triage.Errorf(triage.EINVALID, "limit=%q is not a number from 1 to 1000", v))
			return
		}
		f.Limit = n
	}
	evs, err := s.cfg.Audit.AuditEvents(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"events": nonNil(evs)})
}
