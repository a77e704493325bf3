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
	ev := s.auditEvent(c, triage.AuditUserCreate, "user/"+u.Name, map[string]string{"role": string(u.Role)})
	if err := s.cfg.Users.CreateUser(c.Request.Context(), &u, &ev); err != nil {
		s.fail(c, err)
		return
	}
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
	if err := s.cfg.Users.CreateToken(c.Request.Context(), &t, func(t triage.Token) []triage.AuditEvent {
		return []triage.AuditEvent{s.auditEvent(c, triage.AuditTokenCreate, "user/"+u.Name, map[string]string{
			"token_id": strconv.FormatInt(t.ID, 10), "name": t.Name})}
	}); err != nil {
		s.fail(c, err)
		return
	}
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
	ev := s.auditEvent(c, triage.AuditTokenRevoke, "token/"+c.Param("id"), nil)
	if err := s.cfg.Users.RevokeToken(c.Request.Context(), id, &ev); err != nil {
		s.fail(c, err)
		return
	}
	s.forgetTokens(func(ct cachedToken) bool { return ct.tokenID == id })
	c.Status(http.StatusNoContent)
}

// forgetTokens drops cached tokens, so that a revoked token or a disabled
// user is refused at once by this process (another serve process notices
// within TokenCacheTTL).
func (s *Server) forgetTokens(match func(cachedToken) bool) {
	s.tokens.Range(func(k, v any) bool {
		if match(v.(cachedToken)) {
			s.tokens.Delete(k)
		}
		return true
	})
}

// TokenInfoJSON is a token as listed: never its secret.
type TokenInfoJSON struct {
	triage.Token
	User string `json:"user"`
}

// handleListTokens lists tokens with their creation, expiry and last
// use (user=NAME: of one user).
//
//	GET /api/v1/tokens
func (s *Server) handleListTokens(c *gin.Context) {
	ctx := c.Request.Context()
	us, err := s.cfg.Users.Users(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	names := map[int64]string{}
	var uid int64
	for _, u := range us {
		names[u.ID] = u.Name
		if u.Name == c.Query("user") {
			uid = u.ID
		}
	}
	if c.Query("user") != "" && uid == 0 {
		s.fail(c, triage.Errorf(triage.ENOTFOUND, "no user %q", c.Query("user")))
		return
	}
	ts, err := s.cfg.Users.Tokens(ctx, uid)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]TokenInfoJSON, len(ts))
	for i, t := range ts {
		out[i] = TokenInfoJSON{Token: t, User: names[t.UserID]}
	}
	c.JSON(http.StatusOK, gin.H{"tokens": out})
}

// handlePatchUser disables or enables a user: {"disabled": true}. A
// disabled user's sessions end and tokens stop working at once.
//
//	PATCH /api/v1/users/{name}
func (s *Server) handlePatchUser(c *gin.Context) {
	var body struct {
		Disabled *bool `json:"disabled"`
	}
	if err := bindJSON(c, &body); err != nil {
		s.fail(c, err)
		return
	}
	if body.Disabled == nil {
		s.fail(c, triage.Errorf(triage.EINVALID, `give {"disabled": true} or {"disabled": false}`))
		return
	}
	u, err := s.cfg.Users.UserByName(c.Request.Context(), c.Param("name"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if me, _ := viewer(c); me.ID == u.ID && *body.Disabled {
		s.fail(c, triage.Errorf(triage.ECONFLICT, "you cannot disable yourself"))
		return
	}
	action := triage.AuditUserEnable
	if *body.Disabled {
		action = triage.AuditUserDisable
	}
	ev := s.auditEvent(c, action, "user/"+u.Name, nil)
	if err := s.cfg.Users.SetDisabled(c.Request.Context(), u.ID, *body.Disabled, &ev); err != nil {
		s.fail(c, err)
		return
	}
	s.forgetTokens(func(ct cachedToken) bool { return ct.user.ID == u.ID })
	u.Disabled = *body.Disabled
	c.JSON(http.StatusOK, u)
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
