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

// FuzzParseTrustedProxies: every list ParseTrustedProxies accepts is one
// gin accepts, so the server never falls back to trusting nobody over a
// value the configuration let through.
func FuzzParseTrustedProxies(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "127.0.0.1, ::1", "192.168.1.0/24,fd00::/8", "", ",", "10.0.0.1/33", "::ffff:1.2.3.4", "fe80::1%eth0", "1.2.3.4/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		ps, err := ParseTrustedProxies(v)
		if err != nil {
			return
		}
		if err := gin.New().SetTrustedProxies(ps); err != nil {
			t.Fatalf("%q accepted, but gin refuses %q: %v", v, ps, err)
		}
	})
}
