package api

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/winnow-forensics/winnow/triage"
)

// handleHealthz says the process is alive. No token needed.
//
//	GET /healthz
func (s *Server) handleHealthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// handleReadyz checks every dependency (database, queue, evidence store)
// and answers 503 with the failing ones if any is down. No token needed.
//
//	GET /readyz
func (s *Server) handleReadyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	checks := map[string]string{}
	for name, p := range s.cfg.Ready {
		wg.Go(func() {
			msg := "ok"
			if err := p.Ping(ctx); err != nil {
				msg = triage.ErrorMessage(err)
				if triage.ErrorCode(err) == triage.EINTERNAL {
					msg = err.Error()
				}
			}
			mu.Lock()
			checks[name] = msg
			mu.Unlock()
		})
	}
	wg.Wait()
	var failed []string
	for name, msg := range checks {
		if msg != "ok" {
			failed = append(failed, name)
		}
	}
	sort.Strings(failed)
	resp := gin.H{"status": "ok", "checks": checks}
	if n, of := s.setsNotLoading(ctx); n > 0 {
		// Degraded, not down: the other sets are matched. Names are not
		// shown here (no token needed): winnow hashset list has them.
		resp["hash_sets"] = fmt.Sprintf("%d of %d ready hash sets do not load in the workers (retried): see winnow hashset list", n, of)
	}
	if len(failed) > 0 {
		c.Header("Retry-After", "5")
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "failed": failed, "checks": checks})
		return
	}
	c.JSON(http.StatusOK, resp)
}

// setsNotLoading counts the ready, enabled sets a worker could not load,
// and the ready, enabled sets.
func (s *Server) setsNotLoading(ctx context.Context) (n, of int) {
	if s.cfg.Sets == nil {
		return 0, 0
	}
	sets, err := s.cfg.Sets.Sets(ctx)
	if err != nil {
		return 0, 0
	}
	for _, st := range sets {
		if st.Enabled && st.State == triage.SetReady {
			of++
			if st.LoadError != "" {
				n++
			}
		}
	}
	return n, of
}

// handleMetrics serves the Prometheus metrics: requests, upload bytes,
// items per state, queue depth. Needs a token with the audit permission.
//
//	GET /metrics
func (s *Server) handleMetrics(c *gin.Context) {
	promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{}).ServeHTTP(c.Writer, c.Request)
}

//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the embedded OpenAPI 3 document.
func OpenAPI() []byte { return openAPI }

// handleOpenAPI serves the OpenAPI 3 document of this API.
//
//	GET /api/v1/openapi.json
func (s *Server) handleOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openAPI)
}
