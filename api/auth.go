package api

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/argon2"

	"github.com/winnow-forensics/winnow/triage"
)

// Human login: argon2id password hashes, a session cookie (HttpOnly,
// Secure, SameSite=Strict) whose secret is stored only as its SHA-256, a
// synchronizer CSRF token that every state-changing request made with the
// cookie must carry in the X-CSRF-Token header, and idle and absolute
// session expiry. Bearer tokens (scripts) need no CSRF token: a browser
// never sends them on its own.

// SessionCookie is the name of the session cookie.
const SessionCookie = "winnow_session"

// CSRFHeader carries the session's CSRF token.
const CSRFHeader = "X-CSRF-Token"

// PasswordParams are argon2id's cost parameters.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultPasswordParams: 64 MiB, 2 passes, 2 lanes (above OWASP's minimum
// of 19 MiB and 2 passes); about 100 ms on one core here.
var DefaultPasswordParams = PasswordParams{Memory: 64 << 10, Time: 2, Threads: 2}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 12

// HashPassword returns the argon2id PHC string of a password:
// $argon2id$v=19$m=65536,t=2,p=2$SALT$HASH (unpadded base64).
func HashPassword(password string, p PasswordParams) (string, error) {
	if len(password) < MinPasswordLen {
		return "", triage.Errorf(triage.EINVALID, "the password is shorter than %d characters", MinPasswordLen)
	}
	if len(password) > 1024 {
		return "", triage.Errorf(triage.EINVALID, "the password is longer than 1024 bytes")
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Bounds on the parameters of a stored hash, so a damaged or hostile row
// cannot make a login allocate gigabytes.
const (
	maxArgonMemory = 1 << 20 // KiB: 1 GiB
	maxArgonTime   = 16
)

// parsedHash is a decoded PHC string.
type parsedHash struct {
	p         PasswordParams
	salt, key []byte
}

// parsePasswordHash decodes an argon2id PHC string; it is strict and
// bounded (fuzzed by FuzzParsePasswordHash).
func parsePasswordHash(s string) (parsedHash, error) {
	var ph parsedHash
	bad := triage.Errorf(triage.EINVALID, "stored password hash is not an argon2id PHC string")
	if len(s) > 512 {
		return ph, bad
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return ph, bad
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return ph, bad
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(params[i], name)
		if !ok {
			return ph, bad
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 {
			return ph, bad
		}
		vals[i] = n
	}
	if vals[0] > maxArgonMemory || vals[1] > maxArgonTime || vals[2] > 255 || vals[0] < 8*vals[2] {
		return ph, bad
	}
	ph.p = PasswordParams{Memory: uint32(vals[0]), Time: uint32(vals[1]), Threads: uint8(vals[2])}
	var err error
	if ph.salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4]); err != nil || len(ph.salt) < 8 || len(ph.salt) > 64 {
		return ph, bad
	}
	if ph.key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5]); err != nil || len(ph.key) < 16 || len(ph.key) > 64 {
		return ph, bad
	}
	return ph, nil
}

// checkPassword reports whether password matches the PHC string, in
// constant time for a given hash.
func checkPassword(stored, password string) bool {
	ph, err := parsePasswordHash(stored)
	if err != nil {
		return false
	}
	key := argon2.IDKey([]byte(password), ph.salt, ph.p.Time, ph.p.Memory, ph.p.Threads, uint32(len(ph.key)))
	return subtle.ConstantTimeCompare(key, ph.key) == 1
}

// dummyHash is checked for unknown users, so that a login takes as long
// whether or not the name exists.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("not-a-password-of-anyone", DefaultPasswordParams)
	return h
})

// randomToken returns 32 random bytes, base64url.
func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// SessionJSON is the logged-in user and the CSRF token the UI sends back.
type SessionJSON struct {
	User      triage.User `json:"user"`
	CSRFToken string      `json:"csrf_token,omitempty"`
	ExpiresAt time.Time   `json:"expires_at,omitzero"`
}

// handleLogin checks a name and password and starts a session: {"name",
// "password"}. The session cookie is HttpOnly, SameSite=Strict and (unless
// the server is configured for plain-HTTP development) Secure; the
// response holds the CSRF token. Failures and lockouts are audited, and
// guessing is throttled (throttle.go).
//
//	POST /api/v1/login
func (s *Server) handleLogin(c *gin.Context) {
	// A form or text/plain body is what a cross-site page can send without
	// asking (login CSRF): JSON only.
	if ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); ct != "application/json" {
		s.fail(c, triage.Errorf(triage.EUNSUPPORTED, "send the login as application/json"))
		return
	}
	var body struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := bindJSON(c, &body); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	now := time.Now()
	bad := triage.Errorf(triage.EUNAUTHORIZED, "wrong user name or password")
	end := s.beginAttempt(c, body.Name, now)
	if end == nil {
		return
	}
	s.loginSem <- struct{}{}
	u, hash, err := s.cfg.Sessions.PasswordHash(ctx, body.Name)
	switch {
	case triage.ErrorCode(err) == triage.ENOTFOUND:
		checkPassword(dummyHash(), body.Password)
		err = bad
	case err != nil:
	case hash == "" || u.Disabled:
		checkPassword(dummyHash(), body.Password)
		err = bad
	case !checkPassword(hash, body.Password):
		err = bad
	}
	<-s.loginSem
	if err != nil {
		if triage.ErrorCode(err) == triage.EUNAUTHORIZED {
			s.audit(c, triage.AuditLoginFailed, userTarget(body.Name), nil)
		}
		end(false)
		s.fail(c, err)
		return
	}
	end(true)
	secret := randomToken()
	ss := triage.Session{UserID: u.ID, Hash: triage.HashTokenSecret(secret), CSRF: randomToken(),
		IdleUntil: now.Add(s.cfg.Review.SessionIdle), ExpiresAt: now.Add(s.cfg.Review.SessionMax)}
	c.Request = c.Request.WithContext(NewContextWithUser(ctx, u))
	ev := s.auditEvent(c, triage.AuditLogin, "user/"+u.Name, nil)
	if err := s.cfg.Sessions.CreateSession(ctx, &ss, &ev); err != nil {
		s.fail(c, err)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true,
		Secure: !s.cfg.Review.InsecureCookies, SameSite: http.SameSiteStrictMode, MaxAge: int(s.cfg.Review.SessionMax.Seconds())})
	c.JSON(http.StatusOK, SessionJSON{User: u, CSRFToken: ss.CSRF, ExpiresAt: ss.ExpiresAt})
}

// handleLogout ends the session and clears its cookie.
//
//	POST /api/v1/logout
func (s *Server) handleLogout(c *gin.Context) {
	if ck, err := c.Request.Cookie(SessionCookie); err == nil {
		if err := s.cfg.Sessions.DeleteSession(c.Request.Context(), triage.HashTokenSecret(ck.Value)); err != nil {
			s.fail(c, err)
			return
		}
	}
	s.clearSessionCookie(c)
	s.audit(c, triage.AuditLogout, "session", nil)
	c.Status(http.StatusNoContent)
}

// handleSession returns the logged-in user and, for a cookie session, its
// CSRF token (the UI reads it after a reload).
//
//	GET /api/v1/session
func (s *Server) handleSession(c *gin.Context) {
	u, _ := UserFromContext(c.Request.Context())
	j := SessionJSON{User: u}
	if ss, ok := c.Get(sessionKey); ok {
		j.CSRFToken, j.ExpiresAt = ss.(triage.Session).CSRF, ss.(triage.Session).ExpiresAt
	}
	c.JSON(http.StatusOK, j)
}

const sessionKey = "session"

// authenticateSession is authenticate for a request carrying the session
// cookie and no bearer token.
func (s *Server) authenticateSession(c *gin.Context, secret string, r route) {
	if s.cfg.Sessions == nil {
		s.fail(c, triage.ErrBadToken)
		return
	}
	u, ss, err := s.cfg.Sessions.TouchSession(c.Request.Context(), triage.HashTokenSecret(secret), s.cfg.Review.SessionIdle)
	if err != nil {
		s.fail(c, err)
		return
	}
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		got := c.GetHeader(CSRFHeader)
		if subtle.ConstantTimeCompare([]byte(got), []byte(ss.CSRF)) != 1 {
			s.fail(c, triage.Errorf(triage.EFORBIDDEN, "missing or wrong CSRF token: send the session's token in the %s header", CSRFHeader))
			return
		}
	}
	c.Set(sessionKey, ss)
	c.Request = c.Request.WithContext(NewContextWithUser(c.Request.Context(), u))
	if !s.permitted(c, r, u) {
		return
	}
	c.Next()
}

// beginAttempt reserves a password check for name from the request's
// address (throttle.go). When it is refused it answers 429 and returns
// nil; otherwise the returned function ends the attempt and audits the
// lockouts a failure caused.
func (s *Server) beginAttempt(c *gin.Context, name string, now time.Time) func(ok bool) {
	wait, end := s.throttle.begin(name, c.ClientIP(), now)
	if end == nil {
		secs := int(wait.Seconds()) + 1
		c.Header("Retry-After", strconv.Itoa(secs))
		s.fail(c, triage.Errorf(triage.ETOOMANY, "too many failed attempts for this name or address: wait %d s", secs))
		return nil
	}
	return func(ok bool) {
		for _, l := range end(ok) {
			s.audit(c, triage.AuditLockout, userTarget(name), l.detail())
		}
	}
}

// userTarget is the audit target of a user name someone typed.
func userTarget(name string) string {
	if len(name) > 128 {
		return "user/(long name)"
	}
	return "user/" + name
}

// clearSessionCookie tells the browser to forget its session.
func (s *Server) clearSessionCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: !s.cfg.Review.InsecureCookies, SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// handleChangePassword changes the user's password: {"current": "...",
// "new": "..."}. The new one must meet the password policy
// (CheckPasswordPolicy); every session of the user ends, this one too.
// Wrong current passwords count as failed logins.
//
//	POST /api/v1/me/password
func (s *Server) handleChangePassword(c *gin.Context) {
	var body struct {
		Current string `json:"current"`
		New     string `json:"new"`
	}
	if err := bindJSON(c, &body); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	me, _ := viewer(c)
	if err := CheckPasswordPolicy(body.New, me.Name); err != nil {
		s.fail(c, err)
		return
	}
	end := s.beginAttempt(c, me.Name, time.Now())
	if end == nil {
		return
	}
	s.loginSem <- struct{}{}
	_, stored, err := s.cfg.Sessions.PasswordHash(ctx, me.Name)
	if err == nil && stored != "" && !checkPassword(stored, body.Current) {
		err = triage.Errorf(triage.EFORBIDDEN, "the current password is wrong")
	}
	var hash string
	if err == nil {
		hash, err = HashPassword(body.New, DefaultPasswordParams)
	}
	<-s.loginSem
	if err != nil {
		end(false)
		s.fail(c, err)
		return
	}
	end(true)
	ev := s.auditEvent(c, triage.AuditPassword, "user/"+me.Name, map[string]string{"sessions": "ended"})
	if err := s.cfg.Sessions.SetPassword(ctx, me.ID, hash, &ev); err != nil {
		s.fail(c, err)
		return
	}
	s.clearSessionCookie(c)
	c.Status(http.StatusNoContent)
}

// handleLogoutAll ends every session of the user, on every browser ("log
// out everywhere"). Bearer tokens are not sessions: an administrator
// revokes them.
//
//	POST /api/v1/me/logout-all
func (s *Server) handleLogoutAll(c *gin.Context) {
	me, _ := viewer(c)
	n, err := s.cfg.Sessions.DeleteSessions(c.Request.Context(), me.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, triage.AuditLogoutAll, "user/"+me.Name, map[string]string{"sessions": strconv.FormatInt(n, 10)})
	s.clearSessionCookie(c)
	c.JSON(http.StatusOK, gin.H{"sessions_ended": n})
}
