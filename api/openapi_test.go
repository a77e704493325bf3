package api

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOpenAPIMatchesRoutes keeps the OpenAPI document and the route table
// equal: every route is documented and every documented path is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q, want 3.x", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	param := regexp.MustCompile(`[:*]([a-z0-9]+)`)
	var served []string
	for _, r := range New(Config{}).routes() {
		served = append(served, r.method+" "+param.ReplaceAllString(r.path, "{$1}"))
	}
	sort.Strings(documented)
	sort.Strings(served)
	if diff := cmp.Diff(served, documented); diff != "" {
		t.Errorf("OpenAPI paths differ from the route table (-routes +openapi):\n%s", diff)
	}
}

// TestErrorStatus pins the code-to-status table.
func TestErrorStatus(t *testing.T) {
	for code, want := range map[string]int{"invalid": 400, "unauthorized": 401, "forbidden": 403, "not_found": 404,
		"conflict": 409, "too_large": 413, "unsupported": 415, "internal": 500, "unavailable": 503, "too_many": 429} {
		if got := statusOf[code]; got != want {
			t.Errorf("status of %s = %d, want %d", code, got, want)
		}
	}
}
