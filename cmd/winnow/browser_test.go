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
	"slices"
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

// browser is a headless Chromium driving the lab's UI, with helpers that
// fail the test with what the page showed.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
}

// act is one step in the page.
type act = chromedp.Action[chromedp.Void]

// newBrowser starts Chromium (no network but the lab's, no extensions or
// background traffic) for the test's duration.
func newBrowser(t *testing.T, l *testLab, timeout time.Duration) *browser {
	t.Helper()
	bin := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:0:0],
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancel3)
	// A secure context: the Secure cookie is kept on http://localhost.
	return &browser{t: t, ctx: ctx, base: strings.Replace(l.URL, "127.0.0.1", "localhost", 1), dir: artifactDir(t)}
}

// do runs steps; on failure it saves a screenshot and fails the test.
func (b *browser) do(what string, steps ...act) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		status := b.str(`document.getElementById("status") ? document.getElementById("status").textContent : ""`)
		page := b.str(`(document.getElementById("exposure") || {}).textContent + " | focus " + ((document.querySelector(".tile.focus") || {}).id || "none") +
			" | dialogs " + [...document.querySelectorAll(".overlay")].filter((d) => !d.hidden).map((d) => d.id).join(",")`)
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("browser: %s: %v (status %q; %s)", what, err, status, page)
	}
}

// str evaluates a JavaScript expression to a string ("" on error).
func (b *browser) str(expr string) string {
	s, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
	return s
}

// eval evaluates a JavaScript expression into a T (awaiting a promise).
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("browser: evaluate %s: %v", expr, err)
	}
	return v
}

// poll waits until expr is true.
func (b *browser) poll(expr string) act {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(20*time.Second))
}

// js runs a JavaScript statement.
func js(expr string) act {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[any](expr)(ctx, t)
		return chromedp.Void{}, err
	}
}

// keys presses keys one after the other, counting them in n.
func (b *browser) keys(n *int, ks ...string) act {
	var as []act
	for _, k := range ks {
		as = append(as, chromedp.KeyEvent(k))
		*n++
	}
	return chromedp.Steps(as...)
}

// click clicks the tile that the JavaScript expression idx names (an
// index, as tileIndex gives) and waits until it has the focus.
func (b *browser) click(idx string) act {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		i, err := chromedp.Evaluate[int](idx)(ctx, t)
		if err != nil {
			return chromedp.Void{}, err
		}
		if i < 0 {
			return chromedp.Void{}, fmt.Errorf("no tile for %s", idx)
		}
		id := fmt.Sprintf("tile-%d", i)
		if _, err := chromedp.Click(chromedp.CSS("#"+id))(ctx, t); err != nil {
			return chromedp.Void{}, err
		}
		return b.poll(fmt.Sprintf(`document.querySelector(".tile.focus") && document.querySelector(".tile.focus").id === %q`, id))(ctx, t)
	}
}

// shot saves a screenshot of the page as a test artifact.
func (b *browser) shot(name string) {
	buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(80))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(b.dir, "review-"+name+".jpg")
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", p)
}

// login logs in through the form and waits for the workspace.
func (b *browser) login(name, pw, path string) {
	b.t.Helper()
	b.do("log in", chromedp.Navigate(b.base+path),
		chromedp.WaitVisible(chromedp.CSS("#login-name")),
		chromedp.SendKeys(chromedp.CSS("#login-name"), name),
		chromedp.SendKeys(chromedp.CSS("#login-password"), pw),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#workspace")),
	)
}

// exifJPEG returns j with EXIF tags written by exiftool (args like
// "-SerialNumber=X"), the bytes going through its stdin and stdout.
func exifJPEG(t *testing.T, j []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("exiftool", append(append([]string{"-q", "-o", "-"}, args...), "-")...)
	cmd.Stdin = bytes.NewReader(j)
	out, err := cmd.Output()
	if err != nil || len(out) < len(j) {
		t.Fatalf("exiftool %v: %v", args, err)
	}
	return out
}

// tileIndex is a JavaScript expression: the index of the tile whose path
// ends with suffix (-1 if it is not rendered).
func tileIndex(suffix string) string {
	return fmt.Sprintf(`(() => { const n = [...document.querySelectorAll(".tile[data-member]")].find((n) => n.getAttribute("aria-label").includes(%q)); return n ? Number(n.dataset.index) : -1; })()`, suffix)
}

// TestReviewWorkspace drives the review workspace in headless Chromium on
// the real services (issue 17, and issue 11's defects 8-10 in the
// browser): the grid veiled and upright, inner paths on tiles, the item
// panel with the map and device links, filters in the URL, the decision
// form cleared per group, multi-select with the bulk summary, undo,
// reveals counted once, the break reminder before the reveal that crosses
// the limit (keys blocked while it shows), help matching the scheme,
// export links, and accessibility basics (labels, focus order). A
// screenshot of every view is left in WINNOW_TEST_ARTIFACTS.
func TestReviewWorkspace(t *testing.T) {
	l := startLab(t, labEnv(t))
	dir, dir2 := t.TempDir(), t.TempDir()
	camera := []string{"-Make=WinnowTestCam", "-Model=Model Seven", "-SerialNumber=WTC-0042", "-DateTimeOriginal=2024:05:01 10:00:00"}
	img1 := exifJPEG(t, triagetest.PhotoJPEG(640, 480, 501, 90), append(camera, "-GPSLatitude=48.8584", "-GPSLatitudeRef=N",
		"-GPSLongitude=2.2945", "-GPSLongitudeRef=E", "-Orientation#=6")...)
	writeFile(t, filepath.Join(dir, "DCIM/img-1.jpg"), img1)
	writeFile(t, filepath.Join(dir, "DCIM/img-1-small.jpg"), triagetest.PhotoJPEG(640, 480, 501, 50))
	writeFile(t, filepath.Join(dir, "DCIM/other-1.jpg"), triagetest.PhotoJPEG(600, 400, 502, 90))
	writeFile(t, filepath.Join(dir, "DCIM/other-2.jpg"), triagetest.PhotoJPEG(600, 400, 502, 55))
	writeFile(t, filepath.Join(dir, "holiday.zip"), zipOf(t, map[string][]byte{
		"a/beach.jpg": triagetest.PhotoJPEG(500, 500, 503, 90), "b/beach.jpg": triagetest.PhotoJPEG(520, 390, 504, 90)}))
	writeFile(t, filepath.Join(dir2, "Users/x/cam.jpg"), exifJPEG(t, triagetest.PhotoJPEG(500, 400, 505, 90), camera...))
	l.submitDir(t, "case-ui", "phone", dir)
	l.submitDir(t, "case-ui2", "laptop", dir2)
	vic := l.reviewer(t, "vic", triage.RoleAdjudicator, "case-ui", "case-ui2") // reviews, and may export
	const pw = "correct horse battery staple"
	l.setPassword(t, "vic", pw)
	// A bulk decision over one item asks first; a break every 3 reveals.
	if st := l.send(t, vic, "PUT", "/api/v1/me/settings", map[string]any{"confirm_over": 1, "break_every": 3}, nil); st != 200 {
		t.Fatalf("settings: %d", st)
	}

	b := newBrowser(t, l, 3*time.Minute)
	b.login("vic", pw, "/ui/")
	b.do("grid", b.poll(`document.querySelectorAll(".tile[data-member]").length === 7`))
	b.shot("grid")

	// Veiled: blurred and grey; the thumbnail of the rotated photo upright.
	filter := eval[string](b, `getComputedStyle(document.querySelector(".tile img")).filter`)
	if !strings.Contains(filter, "blur(") || !strings.Contains(filter, "grayscale(1)") {
		t.Errorf("thumbnail filter %q: want blur and grayscale", filter)
	}
	img1Tile := tileIndex("DCIM/img-1.jpg")
	b.do("rotated thumbnail", b.poll(`document.getElementById("tile-"+`+img1Tile+`).querySelector("img").naturalWidth > 0`))
	if !eval[bool](b, `(() => { const i = document.getElementById("tile-"+`+img1Tile+`).querySelector("img"); return i.naturalHeight > i.naturalWidth; })()`) {
		t.Errorf("the thumbnail of an EXIF orientation 6 photo is not upright")
	}
	// Archive members show their inner path.
	if inner := eval[int](b, `[...document.querySelectorAll(".tile .meta")].filter((m) => /holiday\.zip ! [ab]\/beach\.jpg/.test(m.textContent)).length`); inner != 2 {
		t.Errorf("%d tiles show an archive member's inner path, want 2", inner)
	}

	// Accessibility: every control has a label; the focus order runs
	// header, filters, grid, decision form.
	unlabelled := eval[[]string](b, `[...document.querySelectorAll("input, select, textarea, button")].filter((e) => !(e.labels && e.labels.length) &&
		!e.getAttribute("aria-label") && !e.textContent.trim()).map((e) => e.id || e.outerHTML.slice(0, 60))`)
	if len(unlabelled) > 0 {
		t.Errorf("controls without a label: %q", unlabelled)
	}
	var order []string
	b.do("tab order", js(`(() => { document.activeElement.blur(); document.body.tabIndex = -1; document.body.focus(); document.body.removeAttribute("tabindex"); })()`))
	for range 90 {
		b.do("tab", chromedp.KeyEvent("\t"))
		order = append(order, b.str(`document.activeElement.id || document.activeElement.dataset.category || document.activeElement.tagName`))
	}
	pos := func(id string) int { return slices.Index(order, id) }
	if !(pos("logout") >= 0 && pos("logout") < pos("f-lane") && pos("f-lane") < pos("grid") && pos("grid") < pos("vic-us:0")) {
		t.Errorf("focus order %q: want header, filters, grid, then the decision form", order)
	}

	// The item panel: EXIF, GPS on the map, device links across cases.
	b.do("panel", b.click(img1Tile),
		b.poll(`document.querySelector("#map circle") !== null`),
		b.poll(`document.getElementById("devices").textContent.includes("serial:winnowtestcam/wtc-0042")`))
	panel := b.str(`document.getElementById("panel").textContent`)
	for _, want := range []string{"WTC-0042", "48.858400, 2.294500", "2 item(s) in case-ui/phone (1), case-ui2/laptop (1)", "Natural Earth", "img-1-small.jpg"} {
		if !strings.Contains(panel, want) {
			t.Errorf("item panel lacks %q: %s", want, panel)
		}
	}
	b.shot("panel")
	// Clicked from the page in one step: the panel may re-render between
	// chromedp finding the button and its click landing.
	b.do("device filter", js(`document.querySelector(".device-link").click()`),
		b.poll(`location.search.includes("device=serial")`),
		b.poll(`document.querySelectorAll(".tile[data-member]").length === 2`))
	b.shot("device-filter")

	// Filters: a path substring, reflected in the URL.
	b.do("path filter", chromedp.Click(chromedp.CSS("#f-clear")), b.poll(`document.querySelectorAll(".tile[data-member]").length === 7`),
		chromedp.SendKeys(chromedp.CSS("#f-path"), "beach\r"),
		b.poll(`location.search.includes("path=beach")`), b.poll(`document.querySelectorAll(".tile[data-member]").length === 2`))
	b.shot("path-filter")
	b.do("clear filters", chromedp.Click(chromedp.CSS("#f-clear")), js(`document.activeElement.blur()`), b.poll(`document.querySelectorAll(".tile[data-member]").length === 7`))

	// Defect 8: text typed for one group is not recorded on another.
	n := 0
	other1, other2, beachA := tileIndex("DCIM/other-1.jpg"), tileIndex("DCIM/other-2.jpg"), tileIndex("a/beach.jpg")
	focus := b.click
	b.do("type text for group of img-1", focus(img1Tile), chromedp.SendKeys(chromedp.CSS("#series"), "SERIES-G3"),
		chromedp.Click(chromedp.CSS("#flag-victim_lead")), chromedp.SendKeys(chromedp.CSS("#notes"), "note of G3"), js(`document.activeElement.blur()`))
	b.do("move to another group", focus(other1), b.poll(`document.getElementById("series").value === "" && !document.getElementById("flag-victim_lead").checked && document.getElementById("notes").value === ""`))
	b.do("decide other-1", b.keys(&n, "1"), b.poll(`document.getElementById("status").textContent.startsWith("decided vic-us:1 on 1")`))
	b.do("text for other-2", focus(other2), chromedp.SendKeys(chromedp.CSS("#notes"), "note for other-2"), js(`document.activeElement.blur()`),
		b.keys(&n, "2"), b.poll(`document.getElementById("status").textContent.startsWith("decided vic-us:2 on 1")`))
	b.do("decide beach without text", focus(beachA), b.poll(`document.getElementById("notes").value === ""`), b.keys(&n, "1"),
		b.poll(`document.getElementById("status").textContent.startsWith("decided vic-us:1 on 1")`))
	b.do("carry over with =", focus(tileIndex("b/beach.jpg")), b.keys(&n, "="), b.poll(`document.getElementById("notes").value === "note for other-2"`))
	fillEmpty := `(() => { for (const id of ["series", "tags", "notes"]) document.getElementById(id).value = ""; return true; })()`
	b.do("empty the form", js(fillEmpty))
	items := l.itemsOf(t, "case-ui", "phone")
	notesOf := func(path string) (string, []triage.CaseNotes) {
		var v struct {
			Member struct {
				Decision *struct {
					Category string             `json:"category"`
					Notes    []triage.CaseNotes `json:"notes"`
				} `json:"decision"`
			} `json:"member"`
		}
		l.send(t, vic, "GET", fmt.Sprintf("/api/v1/review/items/%d", items[path].ID), nil, &v)
		if v.Member.Decision == nil {
			return "", nil
		}
		return v.Member.Decision.Category, v.Member.Decision.Notes
	}
	base := filepath.Base(dir)
	if c, ns := notesOf(base + "/DCIM/other-1.jpg"); c != "vic-us:1" || len(ns) != 0 {
		t.Errorf("other-1: %s %+v, want vic-us:1 without notes (they were typed for another group)", c, ns)
	}
	if c, ns := notesOf(base + "/DCIM/other-2.jpg"); c != "vic-us:2" || len(ns) != 1 || ns[0].Notes != "note for other-2" || ns[0].Case != "case-ui" || ns[0].Series != "" {
		t.Errorf("other-2: %s %+v", c, ns)
	}

	// Multi-select: the whole group of img-1, one key, the summary first
	// (keys do nothing behind it), then undo.
	b.do("select the group", focus(img1Tile), b.keys(&n, "g"), b.poll(`document.querySelectorAll(".tile.selected").length === 2`),
		b.keys(&n, "3"), b.poll(`!document.getElementById("confirm").hidden`),
		b.poll(`document.getElementById("confirm-text").textContent.includes("on 2 item(s) in 1 group(s)")`))
	b.shot("bulk-summary")
	b.do("keys behind the summary", b.keys(&n, "2", "u"), chromedp.Sleep(300*time.Millisecond))
	if c, _ := notesOf(base + "/DCIM/img-1.jpg"); c != "" {
		t.Errorf("a key behind the summary decided: %s", c)
	}
	b.do("confirm", b.keys(&n, "\r"), b.poll(`document.getElementById("status").textContent.startsWith("decided vic-us:3 on 2 item(s), 2 confirmed")`))
	for _, p := range []string{"/DCIM/img-1.jpg", "/DCIM/img-1-small.jpg"} {
		if c, _ := notesOf(base + p); c != "vic-us:3" {
			t.Errorf("%s after the bulk decision: %q", p, c)
		}
	}
	b.do("undo", b.keys(&n, "u"), b.poll(`document.getElementById("status").textContent.startsWith("undone on 2 item(s) · 2 withdrawn")`))
	for _, p := range []string{"/DCIM/img-1.jpg", "/DCIM/img-1-small.jpg"} {
		if c, _ := notesOf(base + p); c != "" {
			t.Errorf("%s after undo: %q", p, c)
		}
	}

	// Reveals: a reduced preview, grey; one reveal counts once.
	exposure := `document.getElementById("exposure").textContent`
	b.do("reveal", focus(img1Tile), b.keys(&n, "r"), b.poll(exposure+`.includes("since break 1")`),
		b.poll(`document.querySelector("#panel-media img").src.includes("/preview")`),
		b.keys(&n, "r", "r"), chromedp.Sleep(200*time.Millisecond))
	exp := b.str(exposure)
	filter = b.str(`getComputedStyle(document.querySelector(".tile.focus img")).filter`)
	if !strings.Contains(exp, "since break 1") || filter != "grayscale(1)" {
		t.Errorf("after reveal, hide, reveal: %q, filter %q (want one exposure, unblurred but grey)", exp, filter)
	}
	// The break reminder comes before the reveal that would cross the
	// limit of 3, and blocks the keys.
	b.do("second reveal", focus(other1), b.keys(&n, "r"), b.poll(exposure+`.includes("since break 2")`))
	b.do("third reveal", focus(beachA), b.keys(&n, "r"), b.poll(exposure+`.includes("since break 3")`))
	b.do("fourth reveal", focus(tileIndex("b/beach.jpg")), b.keys(&n, "r"), b.poll(`!document.getElementById("break").hidden`))
	b.shot("break")
	b.do("keys behind the reminder", b.keys(&n, "1", "g"), chromedp.Sleep(300*time.Millisecond))
	exp = b.str(exposure)
	selected := eval[int](b, `document.querySelectorAll(".tile.selected").length`)
	if !strings.Contains(exp, "since break 3") || selected != 0 {
		t.Errorf("behind the break reminder: %q, %d selected (want the reveal and keys held back)", exp, selected)
	}
	if c, _ := notesOf(base + "/holiday.zip"); c != "" {
		t.Errorf("a key behind the break reminder decided")
	}
	b.do("later", chromedp.Click(chromedp.CSS("#break-later")), b.poll(exposure+`.includes("since break 4")`))

	// Help lists this scheme's keys; export links point at the case.
	b.do("help", b.keys(&n, "?"), b.poll(`!document.getElementById("help").hidden`))
	help := b.str(`document.getElementById("help-keys").textContent`)
	if !strings.Contains(help, "0 1 2 3 4") || strings.Contains(help, "5") {
		t.Errorf("help for vic-us keys: %s", help)
	}
	b.shot("help")
	b.do("close help", chromedp.KeyEvent("\x1b"), b.poll(`document.getElementById("help").hidden`))
	exportStatus, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`fetch(document.getElementById("export-csv").href).then((r) => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || exportStatus != 200 {
		t.Errorf("export from the UI: %d %v", exportStatus, err)
	}
	href := b.str(`document.getElementById("export-vics").getAttribute("href")`)
	if !strings.Contains(href, "/api/v1/cases/case-ui/review/export?format=vics") {
		t.Errorf("export link %q", href)
	}

	// The decisions and corrections are in the audit log, by vic.
	for _, action := range []string{triage.AuditLogin, triage.AuditDecision, triage.AuditReviewUndo, triage.AuditWithdraw, triage.AuditPromote} {
		var evs struct{ Events []triage.AuditEvent }
		l.send(t, "", "GET", "/api/v1/audit?action="+action, nil, &evs)
		if len(evs.Events) == 0 || evs.Events[0].UserName != "vic" {
			t.Errorf("audit %s: %+v", action, evs.Events)
		}
	}
	t.Logf("%d keystrokes in the workspace flow", n)
}
