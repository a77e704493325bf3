package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	mgo "github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/storage/minio"
	"github.com/winnow-forensics/winnow/storage/postgres"
	"github.com/winnow-forensics/winnow/storage/servicetest"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/matching"
	"github.com/winnow-forensics/winnow/triage/sandbox"
	"github.com/winnow-forensics/winnow/triage/setfile"
	"github.com/winnow-forensics/winnow/triage/triagetest"
	"github.com/winnow-forensics/winnow/workers"
)

func TestMain(m *testing.M) {
	sandbox.Main(sandboxHandlers) // the HEIF decoder's children are this test binary
	servicetest.Main(m)
}

// testLab is a lab service (serve and one worker) running in this process
// on real PostgreSQL, MinIO and Redis, with an admin token.
type testLab struct {
	URL    string
	Token  string
	Env    map[string]string
	PG     *postgres.Store
	MC     *minio.Store
	Worker *WorkerMain
}

func (l *testLab) getenv(k string) string { return l.Env[k] }

// labEnv returns the WINNOW_* environment for fresh services.
func labEnv(t *testing.T) map[string]string {
	pg := servicetest.MustPostgres(t)
	mn := servicetest.MustMinIO(t)
	mn.RemoveBucketAtCleanup(t)
	rd := servicetest.MustRedis(t)
	return map[string]string{
		"WINNOW_PG_URL": pg.URL, "WINNOW_PG_SCHEMA": pg.Schema,
		"WINNOW_REDIS_ADDR": rd.Addr, "WINNOW_REDIS_DB": fmt.Sprint(rd.DB),
		"WINNOW_MINIO_ENDPOINT": mn.Endpoint, "WINNOW_MINIO_ACCESS_KEY": mn.AccessKey, "WINNOW_MINIO_SECRET_KEY": mn.SecretKey,
		"WINNOW_MINIO_BUCKET": mn.Bucket, "WINNOW_LISTEN": "127.0.0.1:0", "WINNOW_LOG_LEVEL": "warn",
		"WINNOW_RECONCILE_EVERY": "1s", "WINNOW_RECONCILE_GRACE": "3s", "WINNOW_WORKER_CONCURRENCY": "2",
	}
}

// startLab runs serve and a worker until the test ends.
func startLab(t *testing.T, env map[string]string) *testLab {
	t.Helper()
	l := &testLab{Env: env}
	ctx, cancel := context.WithCancel(context.Background())
	log := newLogger(testWriter{t}, LabConfig{LogLevel: 4})
	scfg, err := ReadServeConfig(l.getenv)
	if err != nil {
		t.Fatal(err)
	}
	sm := &ServeMain{Config: scfg, Logger: log}
	if err := sm.Open(ctx); err != nil {
		t.Fatal(err)
	}
	wcfg, err := ReadWorkerConfig(l.getenv, 2)
	if err != nil {
		t.Fatal(err)
	}
	wm := &WorkerMain{Config: wcfg, Logger: log}
	if err := wm.Open(ctx); err != nil {
		t.Fatal(err)
	}
	l.Worker = wm
	sdone, wdone := make(chan struct{}), make(chan struct{})
	go func() { sm.Run(ctx); close(sdone) }()
	go func() { wm.Run(ctx); close(wdone) }()
	t.Cleanup(func() { cancel(); <-sdone; <-wdone; sm.Close(); wm.Close() })
	l.URL = "http://" + sm.Addr()
	code, out, errs := runWinnowEnv(t, env, "admin", "bootstrap", "--name", "admin")
	if code != 0 {
		t.Fatalf("admin bootstrap: %d %s", code, errs)
	}
	l.Token = strings.TrimSpace(out)
	l.PG, l.MC = sm.pg, sm.mc
	return l
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func runWinnowEnv(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	code := run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

// call makes an API request with the lab's admin token (or tok) and
// decodes a JSON answer.
func (l *testLab) call(t *testing.T, tok, method, path string, body io.Reader, out any) int {
	t.Helper()
	if tok == "" {
		tok = l.Token
	}
	req, _ := http.NewRequest(method, l.URL+path, body)
	if tok != "-" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

func summaryOf(t *testing.T, out string) submitSummary {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var s submitSummary
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("summary line %q: %v", lines[len(lines)-1], err)
	}
	return s
}

// benignMedia writes the test seizure: generated photos, one re-encoded
// (a variant of a known one), a truncated JPEG and an icon-sized PNG.
// known lists the files whose digests go into the "known" set, and
// variantOf the original of the variant, whose PDQ goes in.
func benignMedia(t *testing.T, dir string) (files map[string][]byte) {
	files = map[string][]byte{
		"seizure/DCIM/known-0.jpg":   triagetest.WithEXIF(triagetest.PhotoJPEG(640, 480, 100, 90), "WinnowTestCam", "Model Seven"),
		"seizure/DCIM/known-1.jpg":   triagetest.PhotoJPEG(500, 500, 101, 90),
		"seizure/DCIM/variant-2.jpg": croppedJPEG(triagetest.Photo(800, 600, 102), 0.03),
		"seizure/DCIM/new-3.jpg":     triagetest.PhotoJPEG(700, 500, 103, 90),
		"seizure/broken.jpg":         triagetest.PhotoJPEG(600, 400, 104, 90)[:3000],
	}
	var icon bytes.Buffer
	png.Encode(&icon, triagetest.Photo(20, 20, 105).SubImage(image.Rect(0, 0, 20, 20)))
	files["seizure/icon.png"] = icon.Bytes()
	// An archive with a copy of a known photo, a new one and a nested zip:
	// the worker expands it into child items, keyed here "path!/inner".
	inner := map[string][]byte{"deep/new-7.jpg": triagetest.PhotoJPEG(640, 400, 107, 90)}
	innerZip := zipOf(t, inner)
	members := map[string][]byte{
		"copies/known-1.jpg": files["seizure/DCIM/known-1.jpg"],
		"new-6.jpg":          triagetest.PhotoJPEG(600, 450, 106, 90),
		"inner.zip":          innerZip,
	}
	files["seizure/Downloads/photos.zip"] = zipOf(t, members)
	for name, b := range files {
		writeFile(t, filepath.Join(dir, name), b)
	}
	for name, b := range members {
		files["seizure/Downloads/photos.zip!/"+name] = b
	}
	for name, b := range inner {
		files["seizure/Downloads/photos.zip!/inner.zip!/"+name] = b
	}
	return files
}

// zipOf returns a zip of the named files, in name order.
func zipOf(t *testing.T, files map[string][]byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := slices.Sorted(maps.Keys(files))
	for _, name := range names {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// croppedJPEG is img with frac of each side cut away, at quality 85: a
// near match that the default rules call a variant, not known.
func croppedJPEG(img *image.RGBA, frac float64) []byte {
	b := img.Bounds()
	dx, dy := int(float64(b.Dx())*frac), int(float64(b.Dy())*frac)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img.SubImage(image.Rect(dx, dy, b.Dx()-dx, b.Dy()-dy)), &jpeg.Options{Quality: 85}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// knownSet compiles a set labelled as known material from benign images:
// the exact digests of known-0 and known-1 and the PDQ of the original
// of variant-2 (uncropped, where the submitted one is cropped 3% per side).
func knownSet(t *testing.T, path string) *setfile.Set {
	h := hashing.New(hashing.Options{})
	b := setfile.NewBuilder(triage.SetMeta{Name: "test-known", Version: "1", Kind: triage.SetKindAlert, Created: time.Now()})
	add := func(img []byte, id string, digests bool) {
		fp := h.HashBytes(context.Background(), img)
		e := triage.NewEntry()
		if digests {
			e.MD5, e.SHA1, e.SHA256 = fp.MD5, fp.SHA1, fp.SHA256
			e.Algos |= triage.AlgosCrypto
		} else {
			e.PDQ, e.PDQQuality, e.PHash = fp.PDQ, fp.PDQQuality, fp.PHash
			e.Algos |= triage.AlgoSet(triage.AlgoPDQ | triage.AlgoPHash)
		}
		e.ID, e.Category, e.Series = id, triage.MustParseCategory("vic-us:1"), "series-test"
		if _, err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	add(triagetest.WithEXIF(triagetest.PhotoJPEG(640, 480, 100, 90), "WinnowTestCam", "Model Seven"), "k0", true)
	add(triagetest.PhotoJPEG(500, 500, 101, 90), "k1", true)
	add(triagetest.PhotoJPEG(800, 600, 102, 90), "k2", false)
	if err := b.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	hs, err := setfile.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

// TestLabEndToEnd pushes a set, submits a seizure, and checks every
// verdict against the same engine run directly (what winnow scan uses).
func TestLabEndToEnd(t *testing.T) {
	l := startLab(t, labEnv(t))
	dir := t.TempDir()
	files := benignMedia(t, dir)
	setPath := filepath.Join(dir, "known.wset")
	hs := knownSet(t, setPath)
	env := map[string]string{"WINNOW_SERVER": l.URL, "WINNOW_TOKEN": l.Token}
	code, out, errs := runWinnowEnv(t, env, "hashset", "push", setPath)
	if code != 0 {
		t.Fatalf("hashset push: %d %s %s", code, out, errs)
	}
	var st api.SetJSON
	json.Unmarshal([]byte(out), &st)
	if st.State != triage.SetReady || st.Entries != 3 {
		t.Fatalf("pushed set = %+v", st)
	}
	waitFor(t, 10*time.Second, "worker loads the pushed set", func() bool { return len(l.Worker.w.Matcher().Sets()) == 1 })

	code, out, errs = runWinnowEnv(t, env, "submit", "--case", "c-2026-1", "--exhibit", "phone", "--wait", "--json", filepath.Join(dir, "seizure"))
	if code != 3 { // the truncated JPEG is an analysis error
		t.Fatalf("submit exit %d, want 3 (one item in error):\n%s\n%s", code, out, errs)
	}
	sum := summaryOf(t, out)
	// Known: known-0, known-1 and its copy in the zip; new: new-3, the two
	// new photos in the archives and the two archives themselves.
	want := map[triage.Verdict]int{triage.VerdictKnown: 3, triage.VerdictVariant: 1, triage.VerdictNew: 5, triage.VerdictError: 1, triage.VerdictIgnorable: 1}
	for v, n := range want {
		if sum.Verdicts[v] != n {
			t.Errorf("verdict %s: %d items, want %d (summary %+v)", v, sum.Verdicts[v], n, sum)
		}
	}
	if sum.Files != 7 || sum.Uploaded != 7 || sum.Failed != 0 {
		t.Errorf("summary = %+v", sum)
	}

	// The same verdicts, matches and hashes as the engine run directly.
	m := matching.New(matching.Options{})
	m.AddSet(hs)
	h := hashing.New(workers.HasherOptions())
	var page struct{ Items []api.ItemJSON }
	l.call(t, "", "GET", "/api/v1/cases/c-2026-1/exhibits/phone/items", nil, &page)
	children := 0
	for _, it := range page.Items {
		key := it.Path
		if it.InnerPath != "" {
			key += "!/" + it.InnerPath
			children++
			if it.ParentID == 0 {
				t.Errorf("%s: archive member without a parent", key)
			}
		}
		b, ok := files[key]
		if !ok {
			t.Errorf("unexpected item %s", key)
			continue
		}
		fp := h.HashBytes(context.Background(), b)
		dec := matching.DefaultRules().Decide(&fp, m.Match(&fp))
		if it.Verdict != dec.Verdict || string(it.SHA256) != fp.SHA256.String() || string(it.MD5) != fp.MD5.String() {
			t.Errorf("%s: lab says %s (%s), engine says %s (%s)", key, it.Verdict, it.SHA256, dec.Verdict, fp.SHA256)
		}
		if fp.Perceptual && (string(it.PDQ) != fp.PDQ.String() || string(it.PHash) != fp.PHash.String()) {
			t.Errorf("%s: perceptual hashes differ from the engine's", it.Path)
		}
		var detail api.ItemJSON
		l.call(t, "", "GET", fmt.Sprintf("/api/v1/items/%d", it.ID), nil, &detail)
		if len(detail.Matches) != len(dec.Matches) && dec.Verdict != triage.VerdictIgnorable {
			t.Errorf("%s: %d matches stored, engine found %d", it.Path, len(detail.Matches), len(dec.Matches))
		}
		switch key {
		case "seizure/Downloads/photos.zip!/inner.zip!/deep/new-7.jpg", "seizure/Downloads/photos.zip!/copies/known-1.jpg":
			var zipItem api.ItemJSON
			l.call(t, "", "GET", fmt.Sprintf("/api/v1/items/%d", it.ParentID), nil, &zipItem)
			if zipItem.Path != it.Path || zipItem.InnerPath != "" || zipItem.Kind != "archive" {
				t.Errorf("%s: parent is %+v, want the uploaded zip", key, zipItem)
			}
			resp := l.raw(t, "GET", fmt.Sprintf("/api/v1/items/%d/content", it.ID))
			got, _ := io.ReadAll(resp.Body)
			if !bytes.Equal(got, b) {
				t.Errorf("%s: stored content differs from the archive member", key)
			}
		case "seizure/DCIM/known-0.jpg":
			if detail.EXIF["Make"] != "WinnowTestCam" || !detail.Thumbnail {
				t.Errorf("known-0: EXIF %v, thumbnail %v", detail.EXIF, detail.Thumbnail)
			}
			if len(detail.Matches) == 0 || detail.Matches[0].Set != "test-known" || detail.Matches[0].EntryID != "k0" || detail.Matches[0].Category != "vic-us:1" {
				t.Errorf("known-0 matches = %+v", detail.Matches)
			}
			resp := l.raw(t, "GET", fmt.Sprintf("/api/v1/items/%d/thumbnail", it.ID))
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
				t.Errorf("thumbnail: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			resp = l.raw(t, "GET", fmt.Sprintf("/api/v1/items/%d/content", it.ID))
			b, _ := io.ReadAll(resp.Body)
			if !bytes.Equal(b, files[it.Path]) {
				t.Errorf("content differs from the upload")
			}
		case "seizure/broken.jpg":
			if it.State != triage.StateFailed || it.Error == "" {
				t.Errorf("broken.jpg: state %s error %q", it.State, it.Error)
			}
		}
	}

	if children != 4 {
		t.Errorf("%d archive members recorded, want 4 (two photos, a nested zip and its photo)", children)
	}

	// Submitting again changes nothing; into another exhibit uploads nothing.
	code, out, _ = runWinnowEnv(t, env, "submit", "--case", "c-2026-1", "--exhibit", "phone", "--json", filepath.Join(dir, "seizure"))
	if s := summaryOf(t, out); s.Existing != 7 || s.Files != 7 {
		t.Errorf("second submit: %+v", s)
	}
	code, out, _ = runWinnowEnv(t, env, "submit", "--case", "c-2026-1", "--exhibit", "copy", "--wait", "--json", filepath.Join(dir, "seizure"))
	if s := summaryOf(t, out); s.Stored != 7 || s.Uploaded != 0 || s.Verdicts[triage.VerdictKnown] != 3 {
		t.Errorf("submit to another exhibit: %+v", s)
	}
	var status triage.ExhibitStatus
	l.call(t, "", "GET", "/api/v1/cases/c-2026-1/exhibits/copy/status", nil, &status)
	if status.Items != 11 || status.Progress != 1 {
		t.Errorf("status = %+v", status)
	}

	// Uploads and media access are audited.
	var audit struct{ Events []triage.AuditEvent }
	l.call(t, "", "GET", "/api/v1/audit?limit=1000", nil, &audit)
	counts := map[string]int{}
	for _, e := range audit.Events {
		counts[e.Action]++
	}
	if counts[triage.AuditUpload] != 14 || counts[triage.AuditMediaAccess] != 4 || counts[triage.AuditHashSetPush] != 1 {
		t.Errorf("audit counts = %v", counts)
	}
	// Every item finished exactly once.
	for _, ex := range []string{"phone", "copy"} {
		var e struct{ Exhibit triage.Exhibit }
		l.call(t, "", "GET", "/api/v1/cases/c-2026-1/exhibits/"+ex, nil, &e)
		tr, err := l.PG.FinalTransitions(context.Background(), e.Exhibit.ID)
		if err != nil {
			t.Fatal(err)
		}
		for id, n := range tr {
			if n != 1 {
				t.Errorf("item %d reached a final state %d times", id, n)
			}
		}
	}
}

func (l *testLab) raw(t *testing.T, method, path string) *http.Response {
	req, _ := http.NewRequest(method, l.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+l.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// TestComposeInStep checks that docker-compose.yml sets only WINNOW_*
// variables that the binary reads, and that its commands exist.
func TestComposeInStep(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	known := labEnvHelp + serveEnvHelp + workerEnvHelp
	for _, v := range regexp.MustCompile(`WINNOW_[A-Z_]+`).FindAllString(string(b), -1) {
		if !strings.Contains(known, v+" ") {
			t.Errorf("docker-compose.yml sets %s, which winnow does not read", v)
		}
	}
	for _, cmd := range []string{`["serve"]`, `["worker"]`} {
		if !strings.Contains(string(b), "command: "+cmd) {
			t.Errorf("docker-compose.yml has no service running %s", cmd)
		}
	}
	for _, want := range []string{"--appendonly", "noeviction", "--with-lock", "service_healthy"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("docker-compose.yml lacks %s", want)
		}
	}
}

// TestLabDamagedEvidence damages a stored evidence object behind the
// service's back: the next item with that content is failed, saying the
// object must be re-acquired, and nothing is hashed from the bad bytes.
func TestLabDamagedEvidence(t *testing.T) {
	l := startLab(t, labEnv(t))
	dir := t.TempDir()
	photo := triagetest.PhotoJPEG(640, 480, 210, 90)
	writeFile(t, filepath.Join(dir, "a", "photo.jpg"), photo)
	env := map[string]string{"WINNOW_SERVER": l.URL, "WINNOW_TOKEN": l.Token}
	if code, out, errs := runWinnowEnv(t, env, "submit", "--case", "d", "--exhibit", "first", "--wait", "--json", filepath.Join(dir, "a")); code != 0 {
		t.Fatalf("first submit: %d %s %s", code, out, errs)
	}
	mc, err := mgo.New(l.Env["WINNOW_MINIO_ENDPOINT"], &mgo.Options{Creds: credentials.NewStaticV4(l.Env["WINNOW_MINIO_ACCESS_KEY"], l.Env["WINNOW_MINIO_SECRET_KEY"], "")})
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(photo)
	bad[len(bad)/2] ^= 1
	sum := triage.SHA256(sha256.Sum256(photo))
	if _, err := mc.PutObject(context.Background(), l.Env["WINNOW_MINIO_BUCKET"], minio.EvidencePrefix+sum.String(), bytes.NewReader(bad), int64(len(bad)), mgo.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runWinnowEnv(t, env, "submit", "--case", "d", "--exhibit", "second", "--wait", "--json", filepath.Join(dir, "a"))
	if s := summaryOf(t, out); code != 3 || s.Stored != 1 || s.Verdicts[triage.VerdictError] != 1 {
		t.Fatalf("submit after the damage: exit %d, %+v; want the item failed", code, s)
	}
	var page struct{ Items []api.ItemJSON }
	l.call(t, "", "GET", "/api/v1/cases/d/exhibits/second/items", nil, &page)
	if len(page.Items) != 1 || page.Items[0].State != triage.StateFailed || !strings.Contains(string(page.Items[0].Error), "re-acquired") || page.Items[0].PDQ != "" {
		t.Errorf("item from damaged evidence = %+v", page.Items)
	}
}

// TestLabArchiveLimits: an archive nested deeper than WINNOW_ARCHIVE_MAX_DEPTH
// is stored as a member but not expanded, and the outer archive's item
// says so; the members that could be read are recorded.
func TestLabArchiveLimits(t *testing.T) {
	env := labEnv(t)
	env["WINNOW_ARCHIVE_MAX_DEPTH"] = "1"
	l := startLab(t, env)
	dir := t.TempDir()
	inner := zipOf(t, map[string][]byte{"b.jpg": triagetest.PhotoJPEG(300, 200, 221, 90)})
	writeFile(t, filepath.Join(dir, "s", "outer.zip"), zipOf(t, map[string][]byte{"a.jpg": triagetest.PhotoJPEG(300, 200, 220, 90), "inner.zip": inner}))
	code, out, errs := runWinnowEnv(t, map[string]string{"WINNOW_SERVER": l.URL, "WINNOW_TOKEN": l.Token},
		"submit", "--case", "z", "--exhibit", "e", "--wait", "--json", filepath.Join(dir, "s"))
	if code != 3 {
		t.Fatalf("submit: exit %d, want 3 (the outer archive in error)\n%s\n%s", code, out, errs)
	}
	var page struct{ Items []api.ItemJSON }
	l.call(t, "", "GET", "/api/v1/cases/z/exhibits/e/items", nil, &page)
	got := map[string]string{}
	for _, it := range page.Items {
		got[it.InnerPath] = string(it.Verdict)
		if it.InnerPath == "" && !strings.Contains(string(it.Error), "inner.zip") {
			t.Errorf("outer archive's error %q does not name the archive it did not expand", it.Error)
		}
	}
	want := map[string]string{"": "error", "a.jpg": "new", "inner.zip": "new"}
	if !maps.Equal(got, want) {
		t.Errorf("items by inner path = %v, want %v", got, want)
	}
}
