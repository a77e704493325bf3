package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/google/go-cmp/cmp"

	"github.com/winnow-forensics/winnow/triage/wire"
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

// jsonFields lists the JSON names of t's fields, embedded structs' included.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && name == "":
			out = append(out, jsonFields(f.Type)...)
		case name != "" && name != "-":
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIItemModel keeps the Item and Match schemas equal to the item
// model the API writes (ItemJSON, wire.Item, wire.Match), and the
// exhibit report's format_version equal to wire.FormatVersion.
func TestOpenAPIItemModel(t *testing.T) {
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	for name, typ := range map[string]reflect.Type{"Item": reflect.TypeFor[ItemJSON](), "Match": reflect.TypeFor[wire.Match]()} {
		var documented []string
		for k := range doc.Components.Schemas[name].Properties {
			documented = append(documented, k)
		}
		sort.Strings(documented)
		if diff := cmp.Diff(jsonFields(typ), documented); diff != "" {
			t.Errorf("schema %s differs from the Go type (-go +openapi):\n%s", name, diff)
		}
	}
	var report struct {
		Responses map[string]struct {
			Content map[string]struct {
				Schema struct {
					Properties struct {
						FormatVersion struct {
							Enum []int `json:"enum"`
						} `json:"format_version"`
					} `json:"properties"`
				} `json:"schema"`
			} `json:"content"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(doc.Paths["/api/v1/cases/{case}/exhibits/{exhibit}/report"]["get"], &report); err != nil {
		t.Fatal(err)
	}
	if got := report.Responses["200"].Content["application/json"].Schema.Properties.FormatVersion.Enum; !cmp.Equal(got, []int{wire.FormatVersion}) {
		t.Errorf("exhibit report format_version %v, want [%d]", got, wire.FormatVersion)
	}
}

// TestFailClientGone: a request its client abandoned is answered and
// logged as 499 at Info, not as a server failure at Error.
func TestFailClientGone(t *testing.T) {
	var logs bytes.Buffer
	s := New(Config{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	for _, tc := range []struct {
		name   string
		cancel bool
		err    error
		status int
		level  string
	}{
		{"client gone", true, fmt.Errorf("record audit: %w", context.Canceled), 499, "level=INFO msg=\"client went away\""},
		{"server's own cancel", false, fmt.Errorf("record audit: %w", context.Canceled), 500, "level=ERROR msg=\"request failed\""},
		{"other failure, client gone", true, errors.New("disk full"), 500, "level=ERROR msg=\"request failed\""},
	} {
		logs.Reset()
		ctx, cancel := context.WithCancel(context.Background())
		if tc.cancel {
			cancel()
		}
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/v1/items/1/thumbnail", nil)
		s.fail(c, tc.err)
		cancel()
		if w.Code != tc.status || !strings.Contains(logs.String(), tc.level) {
			t.Errorf("%s: status %d, log %q; want %d and %s", tc.name, w.Code, logs.String(), tc.status, tc.level)
		}
	}
}
