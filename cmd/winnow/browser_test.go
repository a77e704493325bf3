package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// setPassword runs "winnow admin user password" with the password on
// stdin, as a script would.
func (l *testLab) setPassword(t *testing.T, name, pw string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(pw + "\n"), stdout: &out, stderr: &errb, getenv: func(k string) string { return l.Env[k] }}
	if code := run(context.Background(), e, []string{"admin", "user", "password", "--name", name}); code != 0 {
		t.Fatalf("admin user password: %d %s", code, errb.String())
	}
}

// login logs in over HTTP and returns the session cookie and CSRF token.
func (l *testLab) login(t *testing.T, name, pw string) (*http.Cookie, string, int) {
	t.Helper()
	var s api.SessionJSON
	resp, err := http.Post(l.URL+"/api/v1/login", "application/json", strings.NewReader(fmt.Sprintf(`{"name":%q,"password":%q}`, name, pw)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, "", resp.StatusCode
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	for _, c := range resp.Cookies() {
		if c.Name == api.SessionCookie {
			return c, s.CSRFToken, 200
		}
	}
	t.Fatalf("login set no session cookie: %v", resp.Header["Set-Cookie"])
	return nil, "", 0
}

// cookieCall makes a request with the session cookie (and csrf, if given).
func (l *testLab) cookieCall(t *testing.T, ck *http.Cookie, csrf, method, path string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, l.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	if csrf != "" {
		req.Header.Set(api.CSRFHeader, csrf)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestReviewLogin: argon2id passwords set from stdin, the session
// cookie's attributes, CSRF on state-changing requests, logout, the
// throttle, and the UI's CSP with no inline script.
func TestReviewLogin(t *testing.T) {
	l := startLab(t, labEnv(t))
	l.mustToken(t, "vic", triage.RoleReviewer)
	var errb bytes.Buffer
	e := &env{stdin: strings.NewReader("short\n"), stdout: &bytes.Buffer{}, stderr: &errb, getenv: func(k string) string { return l.Env[k] }}
	if code := run(context.Background(), e, []string{"admin", "user", "password", "--name", "vic"}); code == 0 || !strings.Contains(errb.String(), "at least 12") {
		t.Errorf("short password: exit %d %s", code, errb.String())
	}
	const pw = "correct horse battery staple"
	l.setPassword(t, "vic", pw)
	if _, hash, _ := l.PG.PasswordHash(context.Background(), "vic"); !strings.HasPrefix(hash, "$argon2id$v=19$m=65536,t=2,p=2$") {
		t.Errorf("stored hash %q", hash)
	}
	if _, _, st := l.login(t, "vic", "wrong password!"); st != 401 {
		t.Errorf("wrong password: %d", st)
	}
	if _, _, st := l.login(t, "nobody", pw); st != 401 {
		t.Errorf("unknown user: %d", st)
	}
	ck, csrf, st := l.login(t, "vic", pw)
	if st != 200 || csrf == "" || !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" {
		t.Fatalf("login: %d cookie %+v csrf %q", st, ck, csrf)
	}
	if r := l.cookieCall(t, ck, "", "GET", "/api/v1/session"); r.StatusCode != 200 {
		t.Errorf("session: %d", r.StatusCode)
	}
	// State-changing requests need the CSRF token.
	if r := l.cookieCall(t, ck, "", "PUT", "/api/v1/me/settings"); r.StatusCode != 403 {
		t.Errorf("PUT without CSRF token: %d", r.StatusCode)
	}
	if r := l.cookieCall(t, ck, "wrong", "PUT", "/api/v1/me/settings"); r.StatusCode != 403 {
		t.Errorf("PUT with a wrong CSRF token: %d", r.StatusCode)
	}
	if r := l.cookieCall(t, ck, csrf, "PUT", "/api/v1/me/settings"); r.StatusCode != 200 {
		t.Errorf("PUT with the CSRF token: %d", r.StatusCode)
	}
	if r := l.cookieCall(t, ck, csrf, "GET", "/api/v1/users"); r.StatusCode != 403 {
		t.Errorf("reviewer lists users: %d", r.StatusCode)
	}
	if r := l.cookieCall(t, ck, csrf, "POST", "/api/v1/logout"); r.StatusCode != 204 {
		t.Errorf("logout: %d", r.StatusCode)
	}
	if r := l.cookieCall(t, ck, "", "GET", "/api/v1/session"); r.StatusCode != 401 {
		t.Errorf("session after logout: %d", r.StatusCode)
	}
	// Guessing is throttled.
	for range 5 {
		l.login(t, "vic", "guess guess guess")
	}
	if _, _, st := l.login(t, "vic", pw); st != 429 {
		t.Errorf("login right after 5 failures: %d, want 429 (throttled)", st)
	}
	var evs struct{ Events []triage.AuditEvent }
	l.send(t, "", "GET", "/api/v1/audit?action="+triage.AuditLoginFailed, nil, &evs)
	if len(evs.Events) < 7 {
		t.Errorf("%d failed logins audited", len(evs.Events))
	}

	// The UI page: strict CSP, no inline script, no inline handlers or styles.
	resp, err := http.Get(l.URL + "/ui/")
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	page.ReadFrom(resp.Body)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != 200 || !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "default-src 'none'") ||
		strings.Contains(csp, "unsafe-inline") || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("/ui/: %d CSP %q Cache-Control %q", resp.StatusCode, csp, resp.Header.Get("Cache-Control"))
	}
	html := page.String()
	for _, m := range regexp.MustCompile(`(?is)<script([^>]*)>(.*?)</script>`).FindAllStringSubmatch(html, -1) {
		if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
			t.Errorf("inline script in the UI: %q", m[0])
		}
	}
	if regexp.MustCompile(`(?i)\son[a-z]+\s*=|\sstyle\s*=|<style`).MatchString(html) {
		t.Errorf("inline event handler or style in the UI")
	}
	for _, f := range []string{"/ui/static/app.js", "/ui/static/style.css"} {
		resp, err := http.Get(l.URL + f)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("%s: %v %v", f, err, resp)
			continue
		}
		resp.Body.Close()
		if strings.HasSuffix(f, ".js") && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
			t.Errorf("%s served as %s", f, resp.Header.Get("Content-Type"))
		}
	}
	if b, _ := os.ReadFile("../../api/ui/static/app.js"); regexp.MustCompile(`https?://`).Match(b) {
		t.Errorf("app.js refers to an absolute URL: the UI must work offline")
	}
}

// chromiumPath finds Debian's chromium; a missing browser fails the test
// (WINNOW_TEST_BROWSER=skip is the one explicit way to skip it).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if os.Getenv("WINNOW_TEST_BROWSER") == "skip" {
		t.Skip("WINNOW_TEST_BROWSER=skip")
	}
	for _, p := range []string{os.Getenv("WINNOW_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	t.Fatalf("chromium not found: apt-get install chromium (.ci/run does), or set WINNOW_CHROMIUM")
	return ""
}

// artifactDir is where browser tests leave screenshots:
// $WINNOW_TEST_ARTIFACTS if set, else the test's temporary directory.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("WINNOW_TEST_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestReviewBrowser drives the UI in headless Chromium: log in, claim a
// group from the queue with the keyboard, reveal and hide an image (the
// exposure counter counts it), categorise the group with a key, then
// check the decision, the audit events and the promotion into the local
// hash set, and save a screenshot.
func TestReviewBrowser(t *testing.T) {
	bin := chromiumPath(t)
	l := startLab(t, labEnv(t))
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "DCIM/img-1.jpg"), triagetest.WithEXIF(triagetest.PhotoJPEG(640, 480, 501, 90), "WinnowTestCam", "Model Seven"))
	writeFile(t, filepath.Join(dir, "DCIM/img-1-small.jpg"), triagetest.PhotoJPEG(640, 480, 501, 50))
	l.submitDir(t, "case-ui", "phone", dir)
	l.reviewer(t, "vic", triage.RoleReviewer, "case-ui")
	const pw = "correct horse battery staple"
	l.setPassword(t, "vic", pw)

	opts := append(chromedp.DefaultExecAllocatorOptions[:0:0],
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	start := time.Now()
	base := strings.Replace(l.URL, "127.0.0.1", "localhost", 1) // a secure context: the Secure cookie is kept on http
	poll := func(expr string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))(ctx, t)
			return err
		})
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/ui/"),
		chromedp.WaitVisible(chromedp.CSS("#login-name")),
		chromedp.SendKeys(chromedp.CSS("#login-name"), "vic"),
		chromedp.SendKeys(chromedp.CSS("#login-password"), pw),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS(".group-row")),
	)
	if err != nil {
		t.Fatalf("browser: log in: %v", err)
	}
	// Thumbnails are blurred and grey until revealed.
	filter, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".group-row img")).filter`))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.KeyEvent("c"),
		chromedp.WaitVisible(chromedp.CSS("#group-view")),
		poll(`document.getElementById("claim-status").textContent === "claimed by you"`),
		// Space reveals the selected image and counts the exposure.
		chromedp.KeyEvent(" "),
		poll(`getComputedStyle(document.querySelector(".tile.selected img")).filter === "none"`),
		poll(`document.getElementById("exposure").textContent.includes("revealed today 1")`),
		chromedp.KeyEvent(" "), // and hides it again
		poll(`getComputedStyle(document.querySelector(".tile.selected img")).filter.includes("blur(")`),
		chromedp.KeyEvent("1"),
		poll(`document.getElementById("decision-status").textContent.includes("promoted")`),
		// The tiles show the decision, not the state before it.
		poll(`[...document.querySelectorAll(".tile")].every((t) => t.querySelector(".meta:last-of-type").textContent.startsWith("confirmed: vic-us:1"))`),
	)
	claim, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#claim-status")))
	status, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#decision-status")))
	if err != nil {
		t.Fatalf("browser: claim and decide from the keyboard: %v (claim %q, status %q)", err, claim, status)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(80))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("browser flow took %s: %q / %q", time.Since(start).Round(time.Millisecond), claim, status)
	if !strings.Contains(filter, "blur(") || !strings.Contains(filter, "grayscale(1)") {
		t.Errorf("thumbnail filter %q: want blur and grayscale", filter)
	}
	path := filepath.Join(artifactDir(t), "review-browser.jpg")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)

	// The decision, in the API.
	q := l.queue(t, "", "new")
	if len(q.Groups) != 0 {
		t.Errorf("new lane after the decision: %+v", q)
	}
	var view struct {
		GroupID int64 `json:"group_id"`
	}
	items := l.itemsOf(t, "case-ui", "phone")
	l.send(t, "", "GET", fmt.Sprintf("/api/v1/review/items/%d", items[filepath.Base(dir)+"/DCIM/img-1.jpg"].ID), nil, &view)
	g := l.groupDetail(t, "", view.GroupID)
	for _, m := range g.Members {
		if m.Decision == nil || m.Decision.Category != "vic-us:1" || len(m.Decision.Reviewers) != 1 || m.Decision.Reviewers[0] != "vic" {
			t.Errorf("member %s: decision %+v", m.SHA256, m.Decision)
		}
	}
	// The audit events: the decision and the promotion, by vic.
	for _, action := range []string{triage.AuditLogin, triage.AuditReviewClaim, triage.AuditDecision, triage.AuditPromote} {
		var evs struct{ Events []triage.AuditEvent }
		l.send(t, "", "GET", "/api/v1/audit?action="+action, nil, &evs)
		if len(evs.Events) == 0 || evs.Events[0].UserName != "vic" {
			t.Errorf("audit %s: %+v", action, evs.Events)
		}
	}
	// The promotion: both images in the local set, matched by the worker.
	st, err := l.PG.Set(context.Background(), "winnow-local")
	if err != nil || st.Entries != 2 {
		t.Errorf("local set: %+v %v", st, err)
	}
	l.waitPromoted(t, triagetest.PhotoJPEG(640, 480, 501, 50))
}
