package api

import (
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

// TestTrustedProxies: X-Forwarded-For names the client only when the
// connection comes from a configured proxy, and then the right-most
// address that is not a proxy (a client cannot prepend its own).
func TestTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		proxies    []string
		remote, ff string
		want       string
	}{
		{nil, "198.51.100.7:5000", "203.0.113.9", "198.51.100.7"},
		{[]string{"10.0.0.0/8"}, "198.51.100.7:5000", "203.0.113.9", "198.51.100.7"},
		{[]string{"10.0.0.0/8"}, "10.1.2.3:5000", "203.0.113.9", "203.0.113.9"},
		{[]string{"10.0.0.0/8"}, "10.1.2.3:5000", "6.6.6.6, 203.0.113.9, 10.9.9.9", "203.0.113.9"},
		{[]string{"10.1.2.3"}, "10.1.2.3:5000", "not an address", "10.1.2.3"},
	} {
		s := New(Config{TrustedProxies: tc.proxies})
		s.engine.GET("/test-ip", func(c *gin.Context) { c.String(200, c.ClientIP()) })
		req := httptest.NewRequest("GET", "/test-ip", nil)
		req.RemoteAddr = tc.remote
		req.Header.Set("X-Forwarded-For", tc.ff)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if got := w.Body.String(); got != tc.want {
			t.Errorf("proxies %v, from %s, X-Forwarded-For %q: client %q, want %q", tc.proxies, tc.remote, tc.ff, got, tc.want)
		}
	}
}
