package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// mustToken creates a user with role and returns a token for it.
func (l *testLab) mustToken(t *testing.T, name string, role triage.Role) string {
	t.Helper()
	body := fmt.Sprintf(`{"name":%q,"role":%q}`, name, role)
	if st := l.call(t, "", "POST", "/api/v1/users", strings.NewReader(body), nil); st != 201 {
		t.Fatalf("create user: %d", st)
	}
	var tok api.TokenJSON
	if st := l.call(t, "", "POST", "/api/v1/users/"+name+"/tokens", strings.NewReader(`{"name":"test"}`), &tok); st != 201 {
		t.Fatalf("create token: %d", st)
	}
	return tok.Secret
}

func TestLabAPI(t *testing.T) {
	l := startLab(t, labEnv(t))
	sub := l.mustToken(t, "robot", triage.RoleSubmitter)
	aud := l.mustToken(t, "auditor1", triage.RoleAuditor)

	for _, tc := range []struct {
		tok, method, path string
		want              int
	}{
		{"-", "GET", "/healthz", 200},
		{"-", "GET", "/readyz", 200},
		{"-", "GET", "/api/v1/cases", 401},
		{"wnw_not-a-real-token", "GET", "/api/v1/cases", 401},
		{"-", "GET", "/metrics", 401},
		{sub, "GET", "/metrics", 403},
		{sub, "GET", "/api/v1/users", 403},
		{sub, "PUT", "/api/v1/cases/c1", 201},
		{sub, "PUT", "/api/v1/cases/c1", 200},
		{sub, "PUT", "/api/v1/cases/c1/exhibits/e1", 201},
		{sub, "GET", "/api/v1/cases/c1/exhibits/e1/report", 403},
		{aud, "PUT", "/api/v1/cases/c2", 403},
		{aud, "GET", "/api/v1/audit", 200},
		{aud, "GET", "/api/v1/openapi.json", 200},
		{"", "GET", "/api/v1/cases/nope", 404},
		{"", "PUT", "/api/v1/cases/bad..name!", 400},
		{"", "GET", "/api/v1/items/abc", 400},
		{"", "HEAD", "/api/v1/evidence/" + strings.Repeat("0", 64), 404},
		{"", "GET", "/api/v1/nothing", 404},
		{"", "DELETE", "/api/v1/cases", 400},
	} {
		if got := l.call(t, tc.tok, tc.method, tc.path, nil, nil); got != tc.want {
			t.Errorf("%s %s (token %.8s): %d, want %d", tc.method, tc.path, tc.tok, got, tc.want)
		}
	}

	// Raw PUT: 201, then 200 with the same item; path names are labels,
	// kept verbatim and never used on a file system.
	img := triagetest.PhotoJPEG(320, 240, 7, 90)
	put := func(path string) (int, api.ItemJSON) {
		var it api.ItemJSON
		st := l.call(t, sub, "PUT", "/api/v1/cases/c1/exhibits/e1/items?path="+path, bytes.NewReader(img), &it)
		return st, it
	}
	st1, it1 := put("..%2F..%2Fetc%2Fpasswd")
	st2, it2 := put("..%2F..%2Fetc%2Fpasswd")
	if st1 != 201 || st2 != 200 || it1.ID != it2.ID || it1.Path != "../../etc/passwd" || it2.UploadResult != "existing" {
		t.Errorf("PUT twice: %d %+v / %d %+v", st1, it1, st2, it2)
	}
	if st := l.call(t, sub, "PUT", "/api/v1/cases/c1/exhibits/e1/items", bytes.NewReader(img), nil); st != 400 {
		t.Errorf("PUT without path: %d, want 400", st)
	}
	if st := l.call(t, sub, "PUT", "/api/v1/cases/c1/exhibits/e1/items?path=x&sha256="+strings.Repeat("a", 64), bytes.NewReader(img), nil); st != 400 {
		t.Errorf("PUT with a wrong sha256: %d, want 400", st)
	}
	// Recording stored content without sending it.
	var rec api.ItemJSON
	if st := l.call(t, sub, "PUT", "/api/v1/cases/c1/exhibits/e1/items?path=copy.jpg&sha256="+string(it1.SHA256), nil, &rec); st != 201 || rec.SHA256 != it1.SHA256 || rec.MD5 != it1.MD5 {
		t.Errorf("PUT by sha256: %d %+v", st, rec)
	}

	// Streaming multipart: two files, paths kept whole.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("note", "not a file")
	for i, name := range []string{"DCIM/100/a.jpg", `odd "name".jpg`} {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, strings.ReplaceAll(name, `"`, `\"`)))
		w, _ := mw.CreatePart(h)
		w.Write(triagetest.PhotoJPEG(200, 150, uint64(20+i), 90))
	}
	mw.Close()
	req, _ := http.NewRequest("POST", l.URL+"/api/v1/cases/c1/exhibits/e1/items", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+sub)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var mp struct{ Files []api.PartResult }
	json.NewDecoder(resp.Body).Decode(&mp)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(mp.Files) != 2 || mp.Files[0].Path != "DCIM/100/a.jpg" || mp.Files[1].Path != `odd "name".jpg` || mp.Files[0].Item == nil {
		t.Errorf("multipart: %d %+v", resp.StatusCode, mp)
	}

	// Listing with filters and pages.
	waitFor(t, 30*time.Second, "items analysed", func() bool {
		var s triage.ExhibitStatus
		l.call(t, "", "GET", "/api/v1/cases/c1/exhibits/e1/status", nil, &s)
		return s.Items == 4 && s.Done == 4
	})
	var page struct {
		Items     []api.ItemJSON
		NextAfter int64 `json:"next_after"`
	}
	l.call(t, aud, "GET", "/api/v1/cases/c1/exhibits/e1/items?limit=3", nil, &page)
	if len(page.Items) != 3 || page.NextAfter != page.Items[2].ID {
		t.Errorf("page 1: %d items, next_after %d", len(page.Items), page.NextAfter)
	}
	after := page.NextAfter
	page.NextAfter = 0
	l.call(t, aud, "GET", fmt.Sprintf("/api/v1/cases/c1/exhibits/e1/items?after=%d", after), nil, &page)
	if len(page.Items) != 1 || page.NextAfter != 0 {
		t.Errorf("page 2: %d items, next_after %d", len(page.Items), page.NextAfter)
	}
	l.call(t, aud, "GET", "/api/v1/cases/c1/exhibits/e1/items?verdict=new", nil, &page)
	if len(page.Items) != 4 {
		t.Errorf("verdict=new: %d items, want 4", len(page.Items))
	}
	if st := l.call(t, aud, "GET", "/api/v1/cases/c1/exhibits/e1/items?state=bogus", nil, nil); st != 400 {
		t.Errorf("state=bogus: %d", st)
	}
	if st := l.call(t, aud, "GET", fmt.Sprintf("/api/v1/items/%d/content", it1.ID), nil, nil); st != 403 {
		t.Errorf("auditor reading media: %d, want 403", st)
	}
	var report struct {
		Items []api.ItemJSON
	}
	if st := l.call(t, "", "GET", "/api/v1/cases/c1/exhibits/e1/report", nil, &report); st != 200 || len(report.Items) != 4 {
		t.Errorf("report: %d, %d items", st, len(report.Items))
	}

	// Metrics: requests, items per state, queue depth.
	req, _ = http.NewRequest("GET", l.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+aud)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`winnow_http_requests_total{code="201",method="PUT",route="/api/v1/cases/:case/exhibits/:exhibit/items"}`,
		`winnow_items{state="done"} 4`, `winnow_queue_tasks{state="pending"}`, "winnow_upload_bytes_total"} {
		if !strings.Contains(string(mb), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestLabHashSetsLive shows a running worker picking up new entries, new
// sets and disabled sets within 10 s, without a restart.
func TestLabHashSetsLive(t *testing.T) {
	env := labEnv(t)
	env["WINNOW_SET_SYNC_EVERY"] = "2s" // the default, stated
	l := startLab(t, env)
	dir := t.TempDir()
	setPath := filepath.Join(dir, "known.wset")
	knownSet(t, setPath)
	code, out, errs := runWinnowEnv(t, map[string]string{"WINNOW_SERVER": l.URL, "WINNOW_TOKEN": l.Token}, "hashset", "push", setPath)
	if code != 0 {
		t.Fatalf("push: %s %s", out, errs)
	}
	m := l.Worker.w.Matcher()
	d := waitFor(t, 10*time.Second, "new set loaded", func() bool { return len(m.Sets()) == 1 })
	t.Logf("new set matched after %s", d)

	img := triagetest.PhotoJPEG(300, 200, 555, 90)
	fp := hashing.New(hashing.Options{}).HashBytes(t.Context(), img)
	if len(m.Match(&fp)) != 0 {
		t.Fatal("fresh image already matches")
	}
	body := fmt.Sprintf(`{"entries":[{"md5":%q,"id":"added-1","category":"vic-us:1"}]}`, fp.MD5)
	if st := l.call(t, "", "POST", "/api/v1/hashsets/test-known/entries", strings.NewReader(body), nil); st != 200 {
		t.Fatalf("add entries: %d", st)
	}
	d = waitFor(t, 10*time.Second, "added entry matched", func() bool { return len(m.Match(&fp)) == 1 })
	t.Logf("added entry matched after %s", d)
	ms := m.Match(&fp)
	if ms[0].EntryID != "added-1" || ms[0].Entry != 3 {
		t.Errorf("match = %+v", ms[0])
	}
	if st := l.call(t, "", "PATCH", "/api/v1/hashsets/test-known", strings.NewReader(`{"enabled":false}`), nil); st != 200 {
		t.Fatalf("disable: %d", st)
	}
	waitFor(t, 10*time.Second, "disabled set unloaded", func() bool { return len(m.Sets()) == 0 })
	if st := l.call(t, "", "PATCH", "/api/v1/hashsets/test-known", strings.NewReader(`{"enabled":true,"pdq_radius":8}`), nil); st != 200 {
		t.Fatalf("enable: %d", st)
	}
	waitFor(t, 10*time.Second, "re-enabled set with its added entry", func() bool {
		return len(m.Sets()) == 1 && m.Sets()[0].PDQRadius == 8 && len(m.Match(&fp)) == 1
	})
	// A pushed file that is not a compiled set fails its import, clearly.
	req, _ := http.NewRequest("PUT", l.URL+"/api/v1/hashsets/broken?version=1", strings.NewReader("not a compiled set"))
	req.Header.Set("Authorization", "Bearer "+l.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("push junk: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	waitFor(t, 20*time.Second, "junk set failed", func() bool {
		var st api.SetJSON
		l.call(t, "", "GET", "/api/v1/hashsets/broken", nil, &st)
		return st.State == triage.SetFailed && strings.Contains(st.Error, "not a valid compiled hash set")
	})
}
