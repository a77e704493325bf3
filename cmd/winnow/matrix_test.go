package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// TestAuthorizationMatrix calls every route of the route table as every
// role, once as a member of the case the request touches and once as a
// member of another case only, and without credentials, on the real
// service, and checks each answer against what the route's row declares
// (api.RouteInfo.Expect). A route without a row, or with a row that
// does not fit its path, fails the test.
func TestAuthorizationMatrix(t *testing.T) {
	l := startLab(t, labEnv(t))
	admin := l.Token
	for _, p := range []string{"/api/v1/cases/matrix-a", "/api/v1/cases/matrix-a/exhibits/ex1", "/api/v1/cases/matrix-b"} {
		if st := l.call(t, admin, "PUT", p, nil, nil); st != 201 {
			t.Fatalf("PUT %s: %d", p, st)
		}
	}
	jpg := triagetest.WithEXIF(triagetest.PhotoJPEG(400, 300, 4711, 90), "MatrixCam", "M1")
	var it api.ItemJSON
	if st := l.call(t, admin, "PUT", "/api/v1/cases/matrix-a/exhibits/ex1/items?path=DCIM/a.jpg", bytes.NewReader(jpg), &it); st != 201 {
		t.Fatalf("upload: %d", st)
	}
	waitFor(t, 60*time.Second, "item analysed", func() bool {
		var j api.ItemJSON
		l.call(t, admin, "GET", fmt.Sprint("/api/v1/items/", it.ID), nil, &j)
		return j.State == triage.StateDone && j.Thumbnail
	})
	var q struct {
		Groups []struct {
			ID int64 `json:"id"`
		} `json:"groups"`
	}
	if st := l.call(t, admin, "GET", "/api/v1/review/queue", nil, &q); st != 200 || len(q.Groups) != 1 {
		t.Fatalf("review queue: %d %+v", st, q)
	}
	var g struct {
		Members []struct {
			ID int64 `json:"id"`
		} `json:"members"`
	}
	if st := l.call(t, admin, "GET", fmt.Sprint("/api/v1/review/groups/", q.Groups[0].ID), nil, &g); st != 200 || len(g.Members) != 1 {
		t.Fatalf("review group: %d %+v", st, g)
	}

	// Two users per role: one on matrix-a, one on matrix-b only.
	tokens := map[triage.Role]map[bool]string{}
	for _, r := range triage.Roles {
		tokens[r] = map[bool]string{}
		for member, c := range map[bool]string{true: "matrix-a", false: "matrix-b"} {
			name := fmt.Sprintf("%s-%t", r, member)
			tokens[r][member] = l.mustToken(t, name, r)
			if st := l.call(t, admin, "PUT", "/api/v1/cases/"+c+"/members/"+name, nil, nil); st != 204 {
				t.Fatalf("member %s: %d", name, st)
			}
		}
	}
	l.mustToken(t, "spare", triage.RoleExaminer)
	var spareTok api.TokenJSON
	l.call(t, admin, "POST", "/api/v1/users/spare/tokens", strings.NewReader(`{"name":"x"}`), &spareTok)

	// What each path parameter is, by the route's path.
	value := func(path, param string) string {
		switch {
		case param == "case":
			return "matrix-a"
		case param == "exhibit":
			return "ex1"
		case param == "sha256":
			return string(it.SHA256)
		case param == "path":
			return "static/app.js"
		case param == "user", param == "name" && strings.HasPrefix(path, "/api/v1/users/"):
			return "spare"
		case param == "name" && strings.HasPrefix(path, "/api/v1/hashsets/"):
			return "no-such-set"
		case param == "id" && strings.HasPrefix(path, "/api/v1/tokens/"):
			return fmt.Sprint(spareTok.ID)
		case param == "id" && strings.HasPrefix(path, "/api/v1/review/groups/"):
			return fmt.Sprint(q.Groups[0].ID)
		case param == "id" && strings.HasPrefix(path, "/api/v1/review/members/"):
			return fmt.Sprint(g.Members[0].ID)
		case param == "id" && (strings.HasPrefix(path, "/api/v1/items/") || strings.HasPrefix(path, "/api/v1/review/items/")):
			return fmt.Sprint(it.ID)
		}
		return ""
	}
	// Which scopes a path parameter allows: a route on a case's object
	// cannot be declared global by mistake.
	scopesOf := map[string]string{"case": "byCase newCase", "sha256": "byEvidence"}
	idScopes := map[string]string{"/api/v1/items/": "byItem", "/api/v1/review/items/": "byItem",
		"/api/v1/review/groups/": "byGroup", "/api/v1/review/members/": "byMember"}
	param := regexp.MustCompile(`[:*]([a-z0-9]+)`)

	classify := func(resp *http.Response) api.Outcome {
		b, _ := io.ReadAll(resp.Body)
		switch {
		case resp.StatusCode == 401:
			return api.Unauthenticated
		case resp.StatusCode == 403:
			return api.Forbidden
		case resp.StatusCode == 404 && (resp.Request.Method == "HEAD" || bytes.Contains(b, []byte("that you may see"))):
			return api.Hidden
		}
		return api.Allowed
	}
	routes := api.New(api.Config{}).Routes()
	calls, cells := 0, 0
	for _, ri := range routes {
		name := ri.Method + " " + ri.Path
		if ri.Scope == "" {
			t.Errorf("%s has no row in the authorization matrix: give it a scope in api/routes.go", name)
			continue
		}
		var bad bool
		url := param.ReplaceAllStringFunc(ri.Path, func(m string) string {
			p := m[1:]
			v := value(ri.Path, p)
			if v == "" {
				t.Errorf("%s: the matrix test has no value for :%s (add one to value in matrix_test.go)", name, p)
				bad = true
			}
			want := scopesOf[p]
			if p == "id" {
				for prefix, sc := range idScopes {
					if strings.HasPrefix(ri.Path, prefix) {
						want = sc
					}
				}
			}
			if want != "" && !strings.Contains(want, ri.Scope) {
				t.Errorf("%s names :%s but its scope is %s (want one of %s)", name, p, ri.Scope, want)
			}
			return v
		})
		if bad {
			continue
		}
		call := func(tok string) api.Outcome {
			var body io.Reader
			if ri.Method != "GET" && ri.Method != "HEAD" {
				body = strings.NewReader("{}")
			}
			req, _ := http.NewRequest(ri.Method, l.URL+url, body)
			req.Header.Set("Content-Type", "application/json")
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			defer resp.Body.Close()
			calls++
			if resp.StatusCode >= 500 && ri.Path != "/readyz" {
				t.Errorf("%s: status %d", name, resp.StatusCode)
			}
			return classify(resp)
		}
		cells++
		if got, want := call(""), ri.Expect("", false); got != want && ri.Scope != "public" {
			t.Errorf("%s without credentials: %s, want %s", name, got, want)
		}
		for _, r := range triage.Roles {
			for _, member := range []bool{true, false} {
				cells++
				got, want := call(tokens[r][member]), ri.Expect(r, member)
				if ri.Scope == "public" {
					if got == api.Forbidden || got == api.Hidden {
						t.Errorf("%s (public) as %s: %s", name, r, got)
					}
					continue
				}
				if got != want {
					t.Errorf("%s as %s (member %t): %s, want %s", name, r, member, got, want)
				}
			}
		}
	}
	t.Logf("authorization matrix: %d routes × (%d roles × member/non-member + no credentials) = %d cells, %d requests, each as declared",
		len(routes), len(triage.Roles), cells, calls)

	// Refusals on case-scoped routes are audited.
	var evs struct{ Events []triage.AuditEvent }
	l.call(t, admin, "GET", "/api/v1/audit?action=access.denied&limit=1000", nil, &evs)
	if len(evs.Events) < len(triage.Roles) {
		t.Errorf("%d access.denied events", len(evs.Events))
	}
	// Lists hold only what the user may see; item lists carry no EXIF.
	var cs struct{ Cases []triage.Case }
	l.call(t, tokens[triage.RoleExaminer][false], "GET", "/api/v1/cases", nil, &cs)
	if len(cs.Cases) != 1 || cs.Cases[0].Name != "matrix-b" {
		t.Errorf("a member of matrix-b lists %+v", cs.Cases)
	}
	var page struct{ Items []api.ItemJSON }
	l.call(t, tokens[triage.RoleExaminer][true], "GET", "/api/v1/cases/matrix-a/exhibits/ex1/items", nil, &page)
	if len(page.Items) != 1 || page.Items[0].EXIF != nil {
		t.Errorf("item list: %+v", page.Items)
	}
	// A reveal names an item of the user's cases.
	if st := l.call(t, tokens[triage.RoleReviewer][false], "POST", "/api/v1/me/exposure", strings.NewReader(fmt.Sprintf(`{"item_id":%d}`, it.ID)), nil); st != 404 {
		t.Errorf("reveal of another case's item: %d, want 404", st)
	}
	// Content a user cannot see must be sent, not named.
	out := tokens[triage.RoleExaminer][false]
	l.call(t, out, "PUT", "/api/v1/cases/matrix-b/exhibits/x", nil, nil)
	if st := l.call(t, out, "PUT", "/api/v1/cases/matrix-b/exhibits/x/items?path=c.jpg&sha256="+string(it.SHA256), nil, nil); st != 404 {
		t.Errorf("recording another case's content by its SHA-256: %d, want 404", st)
	}
	if st := l.call(t, out, "PUT", "/api/v1/cases/matrix-b/exhibits/x/items?path=d.jpg&sha256="+string(it.SHA256), bytes.NewReader(jpg[:100]), nil); st != 400 {
		t.Errorf("sending other content under that SHA-256: %d, want 400", st)
	}
	var cp api.ItemJSON
	if st := l.call(t, out, "PUT", "/api/v1/cases/matrix-b/exhibits/x/items?path=c.jpg&sha256="+string(it.SHA256), bytes.NewReader(jpg), &cp); st != 201 || cp.SHA256 != it.SHA256 {
		t.Errorf("sending that content: %d %+v", st, cp)
	}
	// Taking a user off a case takes effect at once (the membership cache
	// of this server is dropped).
	in := tokens[triage.RoleExaminer][true]
	if st := l.call(t, in, "GET", fmt.Sprint("/api/v1/items/", it.ID), nil, nil); st != 200 {
		t.Fatalf("member reads the item: %d", st)
	}
	if st := l.call(t, admin, "DELETE", "/api/v1/cases/matrix-a/members/examiner-true", nil, nil); st != 204 {
		t.Fatalf("remove member: %d", st)
	}
	if st := l.call(t, in, "GET", fmt.Sprint("/api/v1/items/", it.ID), nil, nil); st != 404 {
		t.Errorf("a user taken off the case reads its item: %d, want 404", st)
	}
	// Reading EXIF is audited.
	evs.Events = nil
	l.call(t, admin, "GET", "/api/v1/audit?action=item.metadata", nil, &evs)
	if len(evs.Events) == 0 {
		t.Errorf("no item.metadata events")
	}
	b, _ := json.Marshal(evs.Events[:min(1, len(evs.Events))])
	t.Logf("metadata event: %s", b)
}
