package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/setpush"
	"github.com/winnow-forensics/winnow/triage/upload"
)

// Enqueuer hands work to the workers. The database row is always committed
// before Enqueue is called, so a lost task only delays the work: the
// reconciler enqueues it again.
type Enqueuer interface {
	// EnqueueAnalyze queues item:analyze for an item. Queueing an item that
	// is already queued is not an error.
	EnqueueAnalyze(ctx context.Context, itemID int64) error
	// EnqueueImport queues hashset:import for revision rev of a set.
	EnqueueImport(ctx context.Context, setID, rev int64) error
}

// Pinger is a dependency that /readyz checks.
type Pinger interface {
	Ping(ctx context.Context) error
}

// StateCounter counts items per state over the whole service, and the
// stuck and retried ones (metrics).
type StateCounter interface {
	ItemStateCounts(ctx context.Context) (map[triage.ItemState]int64, error)
	ItemHealth(ctx context.Context) (stuck, retried int64, err error)
}

// QueueDepther reports the task queue's depth per state (metrics).
type QueueDepther interface {
	QueueDepth(ctx context.Context) (map[string]int, error)
}

// Config is what the server is built from. Every store is required.
type Config struct {
	Logger   *slog.Logger
	Cases    triage.CaseStore
	Items    triage.ItemStore
	Users    triage.UserStore
	Audit    triage.AuditStore
	Sets     triage.SetStore
	Evidence triage.EvidenceStore
	// SetFiles keeps pushed compiled hash-set files (their own prefix).
	SetFiles triage.EvidenceStore
	Blobs    triage.BlobStore
	Enqueuer Enqueuer
	// Ready are the dependencies /readyz checks, by name.
	Ready map[string]Pinger
	// States and Queue feed the metrics; either may be nil.
	States StateCounter
	Queue  QueueDepther
	// MaxUploadBytes bounds one uploaded file (0: 64 GiB).
	MaxUploadBytes int64
	// MaxSetBytes bounds one pushed hash-set file (0: 4 GiB).
	MaxSetBytes int64
	// TrustedProxies are the addresses or CIDR ranges of reverse proxies
	// whose X-Forwarded-For names the client (nil: none; the client is the
	// connection's peer). Audit events and login limits use that address.
	TrustedProxies []string
	// Registry receives the server's metrics (nil: a new registry).
	Registry *prometheus.Registry
	// The review queue and the web UI (review.go, auth.go): their stores
	// and settings.
	Review   ReviewConfig
	Reviews  triage.ReviewStore
	Access   triage.AccessStore
	Sessions triage.SessionStore
	Wellness triage.WellnessStore
}

// Server is the lab service's HTTP API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	engine  *gin.Engine
	metrics *metrics
	// cases and exhibits cache name resolution; tokens caches
	// authenticated tokens for TokenCacheTTL.
	exhibits sync.Map // string -> caseExhibit
	cases    sync.Map // case name -> triage.Case
	members  sync.Map // membership -> time.Time (MembershipCacheTTL)
	tokens   sync.Map // triage.SHA256 -> cachedToken
	status   sync.Map // exhibit id -> cachedStatus
	// throttle and loginSem bound password guessing and argon2's memory.
	throttle loginThrottle
	loginSem chan struct{}
	// uploads records received files.
	uploads *upload.Receiver
	// setPushes records pushed hash-set files.
	setPushes *setpush.Pusher
	// localSet is set once the local hash set exists.
	localSet atomic.Bool
	// scoredAt is when the group priorities were last brought up to date
	// (Unix nanoseconds), rescoring whether a background rescore runs;
	// previewer decodes images for previews.
	scoredAt  atomic.Int64
	rescoring atomic.Bool
	previewer *hashing.Hasher
}

// StatusCacheTTL is how stale an exhibit's status may be: many clients
// polling one exhibit cost one database query per TTL.
const StatusCacheTTL = 500 * time.Millisecond

type cachedStatus struct {
	st triage.ExhibitStatus
	at time.Time
}

// TokenCacheTTL is how long an authenticated token is trusted without
// asking the database again. A token revoked or a user disabled through
// this server's API stops working at once; through another serve process
// or winnow admin (the database), within this time.
const TokenCacheTTL = 5 * time.Second

type cachedToken struct {
	user    triage.User
	tokenID int64
	expires time.Time
}

// ParseTrustedProxies reads a comma-separated list of IP addresses and
// CIDR ranges (WINNOW_TRUSTED_PROXIES); at most 1000.
func ParseTrustedProxies(v string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if len(out) == 1000 {
			return nil, triage.Errorf(triage.EINVALID, "more than 1000 trusted proxies")
		}
		if _, err := netip.ParsePrefix(f); err != nil {
			if a, err := netip.ParseAddr(f); err != nil || a.Zone() != "" {
				return nil, triage.Errorf(triage.EINVALID, "%q is neither an IP address (without a zone) nor a CIDR range", f)
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// New returns a server with every route of the route table registered.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 64 << 30
	}
	if cfg.MaxSetBytes <= 0 {
		cfg.MaxSetBytes = 4 << 30
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	cfg.Review = cfg.Review.withDefaults()
	gin.SetMode(gin.ReleaseMode)
	s := &Server{cfg: cfg, log: cfg.Logger.With("component", "api"), loginSem: make(chan struct{}, 2),
		previewer: hashing.New(hashing.Options{Limits: hashing.Limits{DecodeMemory: 512 << 20}})}
	s.metrics = newMetrics(cfg.Registry, cfg.States, cfg.Queue, cfg.Sets)
	s.uploads = &upload.Receiver{Access: cfg.Access, Evidence: cfg.Evidence, Items: cfg.Items, Queue: cfg.Enqueuer}
	s.setPushes = &setpush.Pusher{Files: cfg.SetFiles, Sets: cfg.Sets, Queue: cfg.Enqueuer, MaxBytes: cfg.MaxSetBytes}
	e := gin.New()
	if err := e.SetTrustedProxies(cfg.TrustedProxies); err != nil {
		// ReadServeConfig validated them; trust nobody rather than everybody.
		s.log.Error("trusted proxies refused: X-Forwarded-For is ignored", "err", err)
		e.SetTrustedProxies(nil)
	}
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	e.Use(s.recoverer, s.observe, securityHeaders)
	e.NoRoute(func(c *gin.Context) {
		s.fail(c, triage.Errorf(triage.ENOTFOUND, "no such endpoint: %s %s", c.Request.Method, c.Request.URL.Path))
	})
	e.NoMethod(func(c *gin.Context) {
		s.fail(c, triage.Errorf(triage.EINVALID, "method %s is not allowed on %s", c.Request.Method, c.Request.URL.Path))
	})
	for _, r := range s.routes() {
		hs := []gin.HandlerFunc{}
		if r.perm != "" {
			hs = append(hs, s.authenticate(r))
		}
		if r.scope.caseScoped() {
			hs = append(hs, s.authorize(r))
		}
		e.Handle(r.method, r.path, append(hs, r.handler)...)
	}
	s.engine = e
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// statusOf maps error codes to HTTP statuses, in one place.
var statusOf = map[string]int{
	triage.EINVALID:      http.StatusBadRequest,
	triage.ENOTFOUND:     http.StatusNotFound,
	triage.ECONFLICT:     http.StatusConflict,
	triage.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	triage.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	triage.EINTERNAL:     http.StatusInternalServerError,
	triage.EUNAVAILABLE:  http.StatusServiceUnavailable,
	triage.EUNAUTHORIZED: http.StatusUnauthorized,
	triage.EFORBIDDEN:    http.StatusForbidden,
	triage.ETOOMANY:      http.StatusTooManyRequests,
}

// ErrorStatus returns the HTTP status for err's code.
func ErrorStatus(err error) int {
	if st, ok := statusOf[triage.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON of every error response.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// statusClientClosed is nginx's code for a request its client abandoned.
const statusClientClosed = 499

// fail writes err as a JSON error and logs it once: 5xx at Error (with
// the internal detail), 4xx at Warn, a request its client abandoned at
// Info.
func (s *Server) fail(c *gin.Context, err error) {
	code, status := triage.ErrorCode(err), ErrorStatus(err)
	gone := c.Request.Context().Err() != nil && errors.Is(err, context.Canceled)
	if gone {
		status = statusClientClosed
	}
	var body errorBody
	body.Error.Code, body.Error.Message = code, triage.ErrorMessage(err)
	attrs := []any{"method", c.Request.Method, "route", c.FullPath(), "status", status, "request_id", requestID(c), "code", code}
	if u, ok := UserFromContext(c.Request.Context()); ok {
		attrs = append(attrs, "user", u.Name)
	}
	switch {
	case gone:
		// The client went away (a page left, a fetch aborted): not a
		// server failure.
		s.log.InfoContext(c.Request.Context(), "client went away", attrs...)
	case status >= 500:
		s.log.ErrorContext(c.Request.Context(), "request failed", append(attrs, "err", err.Error())...)
	case status == http.StatusNotFound && c.Request.Method == http.MethodHead:
		// An evidence lookup that misses is the normal answer.
		s.log.DebugContext(c.Request.Context(), "not found", attrs...)
	default:
		s.log.WarnContext(c.Request.Context(), "request refused", append(attrs, "err", body.Error.Message)...)
	}
	if status == http.StatusServiceUnavailable {
		c.Header("Retry-After", "5")
	}
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="winnow"`)
	}
	if c.Request.Method == http.MethodHead {
		c.AbortWithStatus(status)
		return
	}
	c.AbortWithStatusJSON(status, body)
}

func (s *Server) recoverer(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.fail(c, errors.New("panic in handler"))
			s.log.ErrorContext(c.Request.Context(), "handler panic", "panic", v, "route", c.FullPath())
		}
	}()
	c.Next()
}

const requestIDKey = "request_id"

func requestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// observe assigns a request id and records the request in the metrics.
func (s *Server) observe(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if id == "" || len(id) > 64 {
		var b [8]byte
		rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(requestIDKey, id)
	c.Header("X-Request-ID", id)
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	s.metrics.observe(route, c.Request.Method, c.Writer.Status(), time.Since(start))
}

// authenticate checks the bearer token and the user's permission, and puts
// the user in the request's context.
func (s *Server) authenticate(r route) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		if ck, err := c.Request.Cookie(SessionCookie); h == "" && err == nil && ck.Value != "" {
			s.authenticateSession(c, ck.Value, r)
			return
		}
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || !strings.HasPrefix(secret, triage.TokenPrefix) {
			s.fail(c, triage.ErrBadToken)
			return
		}
		hash := triage.HashTokenSecret(strings.TrimSpace(secret))
		var u triage.User
		if v, ok := s.tokens.Load(hash); ok && time.Now().Before(v.(cachedToken).expires) {
			u = v.(cachedToken).user
		} else {
			var tok triage.Token
			var err error
			u, tok, err = s.cfg.Users.Authenticate(c.Request.Context(), hash)
			if err != nil {
				s.tokens.Delete(hash)
				s.fail(c, err)
				return
			}
			exp := time.Now().Add(TokenCacheTTL)
			if !tok.ExpiresAt.IsZero() && tok.ExpiresAt.Before(exp) {
				exp = tok.ExpiresAt
			}
			s.tokens.Store(hash, cachedToken{user: u, tokenID: tok.ID, expires: exp})
		}
		c.Request = c.Request.WithContext(NewContextWithUser(c.Request.Context(), u))
		if !s.permitted(c, r, u) {
			return
		}
		c.Next()
	}
}

// permitted checks the user's role against the route's permission; a
// refusal on a case-scoped route is audited.
func (s *Server) permitted(c *gin.Context, r route, u triage.User) bool {
	if u.Role.Can(r.perm) {
		return true
	}
	err := triage.Errorf(triage.EFORBIDDEN, "role %s may not do this (needs permission %q)", u.Role, r.perm)
	if r.scope.caseScoped() {
		s.deny(c, r, strings.TrimPrefix(c.Request.URL.Path, "/api/v1/"), err)
	} else {
		s.fail(c, err)
	}
	return false
}

// audit records an audit event for the request's user. A failure to record
// is logged; the action itself already happened.
func (s *Server) audit(c *gin.Context, action, target string, detail map[string]string) {
	ev := s.auditEvent(c, action, target, detail)
	if err := s.cfg.Audit.RecordAudit(context.WithoutCancel(c.Request.Context()), &ev); err != nil {
		s.log.ErrorContext(c.Request.Context(), "audit event not recorded", "action", action, "target", target, "err", err)
	}
}

// auditRead records the audit event of a read of evidence or its
// metadata before anything is sent: a read that cannot be recorded is
// refused (every touch of evidence is provable). false when it failed
// (the response is written).
func (s *Server) auditRead(c *gin.Context, action, target string, detail map[string]string) bool {
	ev := s.auditEvent(c, action, target, detail)
	if err := s.cfg.Audit.RecordAudit(c.Request.Context(), &ev); err != nil {
		s.fail(c, fmt.Errorf("audit event not recorded, so the read is refused: %w", err))
		return false
	}
	return true
}

// auditEvent is an audit event for the request's user.
func (s *Server) auditEvent(c *gin.Context, action, target string, detail map[string]string) triage.AuditEvent {
	ev := triage.AuditEvent{Action: action, Target: target, Detail: detail, Remote: c.ClientIP()}
	if u, ok := UserFromContext(c.Request.Context()); ok {
		ev.UserID, ev.UserName = u.ID, u.Name
	}
	return ev
}
