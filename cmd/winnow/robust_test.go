package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	"github.com/winnow-forensics/winnow/triage/setfile"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// The robustness tests run the real program: winnow serve and winnow
// worker as separate processes on real services, killed and restarted.
// They take minutes, so -short skips them; make test runs them in its
// full pass.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// winnowBin builds the binary once per test run.
func winnowBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("robustness test on real processes: skipped with -short (make test runs it in its full pass)")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "winnow-bin-")
		if err != nil {
			binErr = err
			return
		}
		servicetest.AtExit(func() { os.RemoveAll(dir) })
		binPath = filepath.Join(dir, "winnow")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func envList(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

func httpReady(url string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("%s: %d", url, resp.StatusCode)
		}
		return nil
	}
}

// procLab is a lab service whose serve and workers are processes.
type procLab struct {
	testLab
	bin   string
	serve *servicetest.Process
}

func startProcLab(t *testing.T, env map[string]string) *procLab {
	t.Helper()
	bin := winnowBin(t)
	port := servicetest.FreePort(t)
	env["WINNOW_LISTEN"] = fmt.Sprintf("127.0.0.1:%d", port)
	l := &procLab{bin: bin}
	l.Env = env
	l.URL = "http://" + env["WINNOW_LISTEN"]
	l.serve = servicetest.Command(t, "serve", envList(env), httpReady(l.URL+"/readyz"), bin, "serve")
	code, out, errs := runWinnowEnv(t, env, "admin", "bootstrap", "--name", "admin")
	if code != 0 {
		t.Fatalf("bootstrap: %s", errs)
	}
	l.Token = strings.TrimSpace(out)
	pg, err := postgres.Open(context.Background(), postgres.Config{URL: env["WINNOW_PG_URL"], Schema: env["WINNOW_PG_SCHEMA"]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Close)
	l.PG = pg
	return l
}

// startWorker starts one worker process.
func (l *procLab) startWorker(t *testing.T, name string) *servicetest.Process {
	t.Helper()
	env := map[string]string{}
	for k, v := range l.Env {
		env[k] = v
	}
	mport := servicetest.FreePort(t)
	env["WINNOW_WORKER_METRICS"] = fmt.Sprintf("127.0.0.1:%d", mport)
	return servicetest.Command(t, name, envList(env), httpReady(fmt.Sprintf("http://127.0.0.1:%d/healthz", mport)), l.bin, "worker")
}

func (l *procLab) clientEnv() map[string]string {
	return map[string]string{"WINNOW_SERVER": l.URL, "WINNOW_TOKEN": l.Token}
}

// photos writes n benign generated photos of about mp megapixels.
func photos(t *testing.T, dir string, n int, mp float64) {
	t.Helper()
	w := int(math.Sqrt(mp * 1e6 * 4 / 3)) // 4:3
	for i := range n {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("img-%03d.jpg", i)), triagetest.PhotoJPEG(w, w*3/4, uint64(1000+i), 85))
	}
}

// exhibitID looks an exhibit up in the database.
func (l *testLab) exhibitID(t *testing.T, c, e string) int64 {
	t.Helper()
	cs, err := l.PG.Case(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := l.PG.Exhibit(context.Background(), cs.ID, e)
	if err != nil {
		t.Fatal(err)
	}
	return ex.ID
}

// checkExactlyOnce checks that the exhibit has want items, each final,
// each finished exactly once.
func (l *testLab) checkExactlyOnce(t *testing.T, c, e string, want int) {
	t.Helper()
	id := l.exhibitID(t, c, e)
	tr, err := l.PG.FinalTransitions(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr) != want {
		t.Errorf("exhibit has %d items, want %d", len(tr), want)
	}
	for item, n := range tr {
		if n != 1 {
			t.Errorf("item %d reached a final state %d times, want once", item, n)
		}
	}
	st, err := l.PG.ExhibitStatus(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Done != int64(want) {
		t.Errorf("status = %+v, want %d final", st, want)
	}
}

func waitState(t *testing.T, l *testLab, c, e string, limit time.Duration, cond func(triage.ExhibitStatus) bool) {
	t.Helper()
	waitFor(t, limit, "exhibit state", func() bool {
		cs, err := l.PG.Case(context.Background(), c)
		if err != nil {
			return false
		}
		ex, err := l.PG.Exhibit(context.Background(), cs.ID, e)
		if err != nil {
			return false
		}
		st, err := l.PG.ExhibitStatus(context.Background(), ex.ID)
		return err == nil && cond(st)
	})
}

// TestRobustWorkerKilled kills a worker with SIGKILL while it expands an
// archive, with photos still to analyse, and starts another: every item,
// every archive member included, still finishes exactly once.
func TestRobustWorkerKilled(t *testing.T) {
	env := labEnv(t)
	env["WINNOW_LOG_LEVEL"] = "info" // worker-2 logs that it resumed the expansion
	l := startProcLab(t, env)
	w1 := l.startWorker(t, "worker-1")
	dir := t.TempDir()
	photos(t, dir, 30, 3)
	const members = 200
	zipped := map[string][]byte{}
	for i := range members {
		zipped[fmt.Sprintf("m-%03d.jpg", i)] = triagetest.PhotoJPEG(96, 72, uint64(5000+i), 80)
	}
	writeFile(t, filepath.Join(dir, "0-archive.zip"), zipOf(t, zipped)) // uploaded first
	const files, total = 31, 31 + members
	done := make(chan struct{})
	var out, errs string
	var code int
	go func() {
		defer close(done)
		code, out, errs = runWinnowEnv(t, l.clientEnv(), "submit", "--case", "k", "--exhibit", "e", "--wait", "--json", "--concurrency", "2", dir)
	}()
	// More items than files means the archive has members recorded; fewer
	// than all means its expansion is still running.
	var at triage.ExhibitStatus
	waitState(t, &l.testLab, "k", "e", 60*time.Second, func(s triage.ExhibitStatus) bool {
		at = s
		return s.Items > files && s.Items < total
	})
	w1.Kill()
	t.Logf("worker-1 killed with SIGKILL while expanding the archive: %d of %d items recorded, %d final", at.Items, total, at.Done)
	w2 := l.startWorker(t, "worker-2")
	select {
	case <-done:
	case <-time.After(4 * time.Minute):
		t.Fatalf("submission did not finish after the worker was killed")
	}
	if code != 0 {
		t.Fatalf("submit: exit %d\n%s\n%s", code, out, errs)
	}
	// The retry resumed the expansion instead of storing every member again.
	if log, _ := os.ReadFile(w2.LogFile()); !strings.Contains(string(log), "archive expansion resumed") {
		t.Errorf("worker-2 did not resume the expansion; its log ends:\n%s", w2.Log())
	}
	if s := summaryOf(t, out); s.Files != files || s.Verdicts[triage.VerdictNew] != total {
		t.Errorf("summary = %+v, want %d files and %d new items", s, files, total)
	}
	l.checkExactlyOnce(t, "k", "e", total)
}

// TestRobustRedisRestartedEmpty restarts Redis with nothing in it in the
// middle of a submission: queued tasks are lost, the reconciler finds the
// items in the database and every item finishes exactly once.
func TestRobustRedisRestartedEmpty(t *testing.T) {
	env := labEnv(t)
	rp := servicetest.StartRedis(t, false)
	env["WINNOW_REDIS_ADDR"], env["WINNOW_REDIS_DB"] = rp.Addr, "0"
	l := startProcLab(t, env)
	l.startWorker(t, "worker")
	dir := t.TempDir()
	photos(t, dir, 40, 2)
	done := make(chan struct{})
	var out, errs string
	var code int
	go func() {
		defer close(done)
		code, out, errs = runWinnowEnv(t, l.clientEnv(), "submit", "--case", "r", "--exhibit", "e", "--wait", "--json", "--concurrency", "2", dir)
	}()
	waitState(t, &l.testLab, "r", "e", 60*time.Second, func(s triage.ExhibitStatus) bool { return s.Items >= 10 })
	rp.Kill()
	t.Logf("redis killed")
	time.Sleep(time.Second) // uploads go on: items are recorded, enqueues fail
	if err := rp.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("redis restarted empty")
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		t.Fatalf("submission did not finish after Redis restarted empty")
	}
	if code != 0 {
		t.Fatalf("submit: exit %d\n%s\n%s", code, out, errs)
	}
	if s := summaryOf(t, out); s.Items != 40 {
		t.Errorf("summary = %+v", s)
	}
	l.checkExactlyOnce(t, "r", "e", 40)
}

// putRaw uploads body to path and returns the status and error code.
func (l *testLab) putRaw(t *testing.T, path string, body io.Reader, size int64) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("PUT", l.URL+"/api/v1/cases/d/exhibits/e/items?path="+path, body)
	req.ContentLength = size
	req.Header.Set("Authorization", "Bearer "+l.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var eb struct {
		Error struct{ Code, Message string }
	}
	json.NewDecoder(resp.Body).Decode(&eb)
	return resp.StatusCode, eb.Error.Code + ": " + eb.Error.Message
}

// TestRobustMinIODown stops MinIO before and during an upload: the client
// gets a retryable 503, no item is recorded, and after MinIO is back the
// retried submission completes.
func TestRobustMinIODown(t *testing.T) {
	env := labEnv(t)
	mp, mn := servicetest.StartMinIO(t, false)
	env["WINNOW_MINIO_ENDPOINT"], env["WINNOW_MINIO_BUCKET"] = mn.Endpoint, mn.Bucket
	env["WINNOW_MINIO_ACCESS_KEY"], env["WINNOW_MINIO_SECRET_KEY"] = mn.AccessKey, mn.SecretKey
	l := startProcLab(t, env)
	l.startWorker(t, "worker")
	l.call(t, "", "PUT", "/api/v1/cases/d", nil, nil)
	l.call(t, "", "PUT", "/api/v1/cases/d/exhibits/e", nil, nil)

	// Down before the upload.
	mp.Kill()
	img := triagetest.PhotoJPEG(400, 300, 9, 90)
	st, msg := l.putRaw(t, "a.jpg", strings.NewReader(string(img)), int64(len(img)))
	if st != 503 || !strings.HasPrefix(msg, "unavailable") {
		t.Errorf("upload with MinIO down: %d %s, want 503 unavailable", st, msg)
	}
	// Down in the middle of a 300 MB upload.
	if err := mp.Start(); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	go func() {
		buf := make([]byte, 1<<20)
		for i := 0; i < 300; i++ {
			rand.Read(buf)
			if _, err := pw.Write(buf); err != nil {
				return
			}
			if i == 40 {
				mp.Kill()
			}
		}
		pw.Close()
	}()
	st, msg = l.putRaw(t, "big.bin", pr, 300<<20)
	pr.CloseWithError(io.ErrClosedPipe)
	if st != 503 {
		t.Errorf("upload cut by MinIO going down: %d %s, want 503", st, msg)
	}
	if items, _ := l.PG.Items(context.Background(), triage.ItemFilter{ExhibitID: l.exhibitID(t, "d", "e")}); len(items) != 0 {
		t.Errorf("a failed upload left %d items recorded", len(items))
	}
	// Back: the submission, with its retries, completes.
	if err := mp.Start(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "s", "a.jpg"), img)
	code, out, errs := runWinnowEnv(t, l.clientEnv(), "submit", "--case", "d", "--exhibit", "e", "--wait", "--json", filepath.Join(dir, "s"))
	if code != 0 {
		t.Fatalf("submit after recovery: %d %s %s", code, out, errs)
	}
	l.checkExactlyOnce(t, "d", "e", 1)
}

// TestRobustPostgresDown stops PostgreSQL: uploads get a retryable 503
// and record nothing; once it is back, a submission that was retrying
// completes.
func TestRobustPostgresDown(t *testing.T) {
	env := labEnv(t)
	pp, pg := servicetest.StartPostgres(t)
	env["WINNOW_PG_URL"], env["WINNOW_PG_SCHEMA"] = pg.URL, pg.Schema
	l := startProcLab(t, env)
	l.startWorker(t, "worker")
	l.call(t, "", "PUT", "/api/v1/cases/d", nil, nil)
	l.call(t, "", "PUT", "/api/v1/cases/d/exhibits/e", nil, nil)
	exID := l.exhibitID(t, "d", "e")

	pp.Kill()
	img := triagetest.PhotoJPEG(400, 300, 11, 90)
	st, msg := l.putRaw(t, "a.jpg", strings.NewReader(string(img)), int64(len(img)))
	if st != 503 && st != 401 {
		t.Errorf("upload with PostgreSQL down: %d %s, want 503", st, msg)
	}
	if st == 401 {
		t.Errorf("PostgreSQL down must not look like a bad token: %s", msg)
	}
	// A submission started while the database is down retries until it
	// is back.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "s", "a.jpg"), img)
	done := make(chan struct{})
	var code int
	var out, errs string
	go func() {
		defer close(done)
		code, out, errs = runWinnowEnv(t, l.clientEnv(), "submit", "--case", "d", "--exhibit", "e", "--wait", "--json", "--retries", "20", filepath.Join(dir, "s"))
	}()
	time.Sleep(3 * time.Second)
	if err := pp.Start(); err != nil {
		t.Fatal(err)
	}
	<-done
	if code != 0 {
		t.Fatalf("submit across the outage: %d %s %s", code, out, errs)
	}
	items, err := l.PG.Items(context.Background(), triage.ItemFilter{ExhibitID: exID})
	if err != nil || len(items) != 1 || items[0].Path != "s/a.jpg" {
		t.Errorf("items after recovery: %+v %v", items, err)
	}
	l.checkExactlyOnce(t, "d", "e", 1)
}

// rssKiB returns a process's peak resident set (VmHWM) in KiB.
func rssKiB(t *testing.T, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// TestRobustHostileUploads sends hostile files: each becomes a per-item
// result, the service stays up, and the API's memory stays bounded while
// 1 GB of random bytes (generated on the fly, never stored on disk here)
// streams through it.
func TestRobustHostileUploads(t *testing.T) {
	env := labEnv(t)
	l := startProcLab(t, env)
	l.startWorker(t, "worker")
	dir := t.TempDir()
	s := filepath.Join(dir, "hostile")
	hostile, _ := filepath.Glob("../../triage/testdata/hostile/*")
	for _, h := range hostile {
		b, _ := os.ReadFile(h)
		writeFile(t, filepath.Join(s, "corpus", filepath.Base(h)), b)
	}
	writeFile(t, filepath.Join(s, "bomb.zip"), zipBomb(t))
	writeFile(t, filepath.Join(s, "traversal.zip"), traversalZip(t))
	writeFile(t, filepath.Join(s, "truncated.jpg"), triagetest.PhotoJPEG(1200, 900, 5, 90)[:20000])
	writeFile(t, filepath.Join(s, "empty.bin"), nil)

	l.call(t, "", "PUT", "/api/v1/cases/d", nil, nil)
	l.call(t, "", "PUT", "/api/v1/cases/d/exhibits/e", nil, nil)
	before := rssKiB(t, l.serve.Pid())
	st, msg := l.putRaw(t, "random-1g.bin", io.LimitReader(rand.Reader, 1<<30), 1<<30)
	if st != 201 {
		t.Fatalf("1 GB upload: %d %s", st, msg)
	}
	peak := rssKiB(t, l.serve.Pid())
	t.Logf("API peak RSS: %d MiB before, %d MiB after streaming 1 GiB", before/1024, peak/1024)
	if peak > 200<<10 {
		t.Errorf("API peak RSS %d MiB while streaming 1 GiB, want < 200 MiB", peak/1024)
	}

	code, out, errs := runWinnowEnv(t, l.clientEnv(), "submit", "--case", "d", "--exhibit", "e", "--wait", "--json", s)
	if code != 0 && code != 3 {
		t.Fatalf("submit hostile: %d %s %s", code, out, errs)
	}
	sum := summaryOf(t, out)
	if sum.Failed != 0 || sum.Files != len(hostile)+4 {
		t.Errorf("hostile summary = %+v (want %d files, none failed to submit)", sum, len(hostile)+4)
	}
	waitState(t, &l.testLab, "d", "e", 3*time.Minute, func(s triage.ExhibitStatus) bool { return s.Items == s.Done })
	if st := l.call(t, "-", "GET", "/readyz", nil, nil); st != 200 {
		t.Errorf("service not ready after hostile uploads: %d", st)
	}
	var page struct{ Items []api.ItemJSON }
	l.call(t, "", "GET", "/api/v1/cases/d/exhibits/e/items?limit=1000", nil, &page)
	var members []string
	for _, it := range page.Items {
		t.Logf("%-40s %-20s %-9s %-8s %s", it.Path, it.InnerPath, it.State, it.Verdict, it.Error)
		if it.InnerPath != "" {
			members = append(members, it.Path+"!/"+it.InnerPath+" raw "+it.RawName)
		}
		if it.Path == "hostile/bomb.zip" && it.InnerPath == "" && (it.Verdict != triage.VerdictError || !strings.Contains(string(it.Error), "zip bomb")) {
			t.Errorf("zip bomb: verdict %s, error %q; want an error naming the bomb", it.Verdict, it.Error)
		}
		if it.Path == "hostile/truncated.jpg" && it.Verdict != triage.VerdictError {
			t.Errorf("truncated JPEG: verdict %s, want error", it.Verdict)
		}
		if it.Path == "random-1g.bin" && (it.State != triage.StateDone || it.Size != 1<<30) {
			t.Errorf("1 GB random item: %+v", it)
		}
	}
	// The traversal zip's members are recorded under their sanitised names,
	// inside the archive, with the names the archive gave them; the bomb's
	// are not expanded.
	slices.Sort(members)
	wantMembers := []string{
		`hostile/traversal.zip!/Windows/x.jpg raw "C:\\Windows\\x.jpg"`,
		`hostile/traversal.zip!/a/b.jpg raw "a/../../b.jpg"`,
		`hostile/traversal.zip!/etc/cron.d/evil raw "../../../../etc/cron.d/evil"`,
		`hostile/traversal.zip!/etc/passwd raw "/etc/passwd"`,
	}
	if !slices.Equal(members, wantMembers) {
		t.Errorf("archive members recorded = %q, want %q", members, wantMembers)
	}
	l.checkExactlyOnce(t, "d", "e", len(hostile)+5+len(wantMembers))
}

// zipBomb returns a small zip that expands to 512 MiB of zeros.
func zipBomb(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zero := make([]byte, 1<<20)
	for i := range 4 {
		w, err := zw.Create(fmt.Sprintf("zeros-%d.bin", i))
		if err != nil {
			t.Fatal(err)
		}
		for range 128 {
			w.Write(zero)
		}
	}
	zw.Close()
	return buf.Bytes()
}

// traversalZip returns a zip whose entry names climb out of any folder.
func traversalZip(t *testing.T) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"../../../../etc/cron.d/evil", "/etc/passwd", "a/../../b.jpg", "C:\\Windows\\x.jpg"} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(triagetest.PhotoJPEG(64, 64, 1, 80))
	}
	zw.Close()
	return buf.Bytes()
}

// TestRobustFaultRecovery kills the worker with SIGKILL and flushes Redis
// in the middle of a 300-file submission, with the lab's default lease,
// reconcile period and grace, then starts a new worker: every item
// finishes exactly once, and none finishes more than 90 s after the new
// worker started (the dead worker's leases run out within 45 s; the
// reconciler queues their items again). Stuck items show in the exhibit
// status meanwhile.
func TestRobustFaultRecovery(t *testing.T) {
	env := labEnv(t)
	rp := servicetest.StartRedis(t, false)
	env["WINNOW_REDIS_ADDR"], env["WINNOW_REDIS_DB"] = rp.Addr, "0"
	env["WINNOW_RECONCILE_EVERY"], env["WINNOW_RECONCILE_GRACE"] = "15s", "30s"
	env["WINNOW_WORKER_CONCURRENCY"] = "4"
	l := startProcLab(t, env)
	w1 := l.startWorker(t, "worker-1")
	dir := t.TempDir()
	const files = 300
	photos(t, dir, files, 0.3)
	done := make(chan struct{})
	var out, errs string
	var code int
	go func() {
		defer close(done)
		code, out, errs = runWinnowEnv(t, l.clientEnv(), "submit", "--case", "f", "--exhibit", "e", "--wait", "--json", "--concurrency", "2", dir)
	}()
	var at triage.ExhibitStatus
	waitState(t, &l.testLab, "f", "e", 2*time.Minute, func(s triage.ExhibitStatus) bool {
		at = s
		return s.Done >= 30 && s.States[triage.StateProcessing] > 0
	})
	w1.Kill()
	if err := servicetest.FlushRedis(servicetest.Redis{Addr: rp.Addr}); err != nil {
		t.Fatal(err)
	}
	t.Logf("worker-1 killed with SIGKILL and Redis flushed: %d items recorded, %d processing, %d final", at.Items, at.States[triage.StateProcessing], at.Done)
	time.Sleep(2 * time.Second)
	l.startWorker(t, "worker-2")
	restart := time.Now()
	var maxStuck int64
	ex := l.exhibitID(t, "f", "e")
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		case <-time.After(time.Second):
			if st, err := l.PG.ExhibitStatus(context.Background(), ex); err == nil {
				maxStuck = max(maxStuck, st.Stuck)
			}
			if time.Since(restart) > 4*time.Minute {
				t.Fatalf("submission did not finish within 4 minutes of the restart")
			}
		}
	}
	if code != 0 {
		t.Fatalf("submit: exit %d\n%s\n%s", code, out, errs)
	}
	l.checkExactlyOnce(t, "f", "e", files)
	var worst time.Duration
	var worstID int64
	for after := int64(0); ; {
		its, err := l.PG.Items(context.Background(), triage.ItemFilter{ExhibitID: ex, After: after, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range its {
			if d := it.FinishedAt.Sub(restart); d > worst {
				worst, worstID = d, it.ID
			}
		}
		if len(its) < 1000 {
			break
		}
		after = its[len(its)-1].ID
	}
	t.Logf("fault recovery: the last item (id %d) finished %.1f s after worker-2 started; the exhibit status showed up to %d stuck items",
		worstID, worst.Seconds(), maxStuck)
	if worst > 90*time.Second {
		t.Errorf("an item finished %.0f s after the worker restarted, want at most 90 s", worst.Seconds())
	}
	if maxStuck == 0 && at.States[triage.StateProcessing] > 0 {
		t.Errorf("the exhibit status never showed the dead worker's items as stuck")
	}
}

// TestRobustBrokenHashSet starts a worker while one of two ready hash
// sets has lost its stored file: the worker starts and matches against
// the other, the broken set shows as failing (hashset list, /readyz,
// /metrics) and loads again once its file is back. A push with no worker
// running says so instead of waiting silently.
func TestRobustBrokenHashSet(t *testing.T) {
	env := labEnv(t)
	l := startProcLab(t, env)
	w1 := l.startWorker(t, "worker-1")
	dir := t.TempDir()
	known, demo := filepath.Join(dir, "known.wset"), filepath.Join(dir, "demo.wset")
	knownSet(t, known)
	b := setfile.NewBuilder(triage.SetMeta{Name: "demo-known", Version: "1", Kind: triage.SetKindAlert, Created: time.Now()})
	e := triage.NewEntry()
	fp := hashing.New(hashing.Options{}).HashBytes(context.Background(), triagetest.PhotoJPEG(320, 240, 77, 90))
	e.MD5, e.SHA1, e.SHA256, e.Algos = fp.MD5, fp.SHA1, fp.SHA256, triage.AlgosCrypto
	b.Add(e)
	if err := b.WriteFile(demo); err != nil {
		t.Fatal(err)
	}
	client := l.clientEnv()
	for _, p := range []string{known, demo} {
		if code, out, errs := runWinnowEnv(t, client, "hashset", "push", p); code != 0 {
			t.Fatalf("push %s: %s %s", p, out, errs)
		}
	}
	var st api.SetJSON
	l.call(t, "", "GET", "/api/v1/hashsets/demo-known", nil, &st)
	w1.Kill()
	mc, err := mgo.New(env["WINNOW_MINIO_ENDPOINT"], &mgo.Options{Creds: credentials.NewStaticV4(env["WINNOW_MINIO_ACCESS_KEY"], env["WINNOW_MINIO_SECRET_KEY"], "")})
	if err != nil {
		t.Fatal(err)
	}
	if err := mc.RemoveObject(context.Background(), env["WINNOW_MINIO_BUCKET"], minio.HashSetPrefix+st.SHA256, mgo.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	// The worker starts (its /healthz answers) with the set's file gone.
	w2 := l.startWorker(t, "worker-2")
	var list string
	waitFor(t, 20*time.Second, "the broken set listed as failing", func() bool {
		_, list, _ = runWinnowEnv(t, client, "hashset", "list")
		return strings.Contains(list, "LOAD FAILED")
	})
	t.Logf("hashset list:\n%s", list)
	if !strings.Contains(list, "demo-known") || strings.Count(list, "LOAD FAILED") != 1 || !strings.Contains(list, "no evidence with SHA-256") {
		t.Errorf("hashset list:\n%s", list)
	}
	resp, err := http.Get(l.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(rb), "1 of 2 ready hash sets do not load") {
		t.Errorf("/readyz: %d %s", resp.StatusCode, rb)
	}
	req, _ := http.NewRequest("GET", l.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+l.Token)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		mb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(mb), `winnow_hash_sets{state="load_failed"} 1`) {
			t.Errorf("metrics lack the failing set")
		}
	}
	// Matching goes on against the other set.
	if log, _ := os.ReadFile(w2.LogFile()); !strings.Contains(string(log), "matching against the other sets meanwhile") {
		t.Errorf("worker-2 log:\n%s", w2.Log())
	}
	// The file back: the retry loads it.
	if code, out, errs := runWinnowEnv(t, client, "hashset", "push", demo); code != 0 {
		t.Fatalf("push again: %s %s", out, errs)
	}
	waitFor(t, 60*time.Second, "the set loads again", func() bool {
		_, list, _ = runWinnowEnv(t, client, "hashset", "list")
		return !strings.Contains(list, "LOAD FAILED")
	})
	// No worker: push says so.
	w2.Kill()
	set3 := filepath.Join(dir, "third.wset")
	b = setfile.NewBuilder(triage.SetMeta{Name: "third", Version: "1", Kind: triage.SetKindAlert, Created: time.Now()})
	b.Add(e)
	b.WriteFile(set3)
	code, _, errs := runWinnowEnv(t, client, "hashset", "push", "--wait-timeout", "20s", set3)
	if code == 0 || !strings.Contains(errs, "no worker has started importing third after 15s") || !strings.Contains(errs, "no worker started importing it in 20s") {
		t.Errorf("push without a worker: exit %d\n%s", code, errs)
	}
}

// TestRobustWorkerKilledMidImage kills a worker with SIGKILL while it
// records the files of a disk image (an E01 of a FAT32 volume holding 200
// photos) and starts another: the new worker resumes the image where the
// first stopped and every file is recorded and analysed exactly once.
func TestRobustWorkerKilledMidImage(t *testing.T) {
	env := labEnv(t)
	env["WINNOW_LOG_LEVEL"] = "info" // worker-2 logs that it resumed the image
	l := startProcLab(t, env)
	w1 := l.startWorker(t, "worker-1")
	dir := t.TempDir()
	const members = 200
	src := filepath.Join(dir, "src", "DCIM")
	for i := range members {
		writeFile(t, filepath.Join(src, fmt.Sprintf("m-%03d.jpg", i)), triagetest.PhotoJPEG(96, 72, uint64(7000+i), 80))
	}
	img := filepath.Join(dir, "stick.img")
	for _, c := range [][]string{
		{"mkfs.fat", "-C", "-F", "32", img, "40000"},
		{"mcopy", "-s", "-i", img, src, "::/"},
		{"ewfacquire", "-u", "-q", "-t", filepath.Join(dir, "up", "stick"), "-f", "encase6", "-c", "deflate:fast", img},
	} {
		os.MkdirAll(filepath.Join(dir, "up"), 0o755)
		cmd := exec.Command(c[0], c[1:]...)
		cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", c, err, out)
		}
	}
	const total = 1 + members
	done := make(chan struct{})
	var out, errs string
	var code int
	go func() {
		defer close(done)
		code, out, errs = runWinnowEnv(t, l.clientEnv(), "submit", "--case", "k", "--exhibit", "e", "--wait", "--json", filepath.Join(dir, "up", "stick.E01"))
	}()
	var at triage.ExhibitStatus
	waitState(t, &l.testLab, "k", "e", 60*time.Second, func(s triage.ExhibitStatus) bool {
		at = s
		return s.Items > 1 && s.Items < total
	})
	w1.Kill()
	t.Logf("worker-1 killed with SIGKILL while reading the image: %d of %d items recorded, %d final", at.Items, total, at.Done)
	w2 := l.startWorker(t, "worker-2")
	select {
	case <-done:
	case <-time.After(4 * time.Minute):
		t.Fatalf("submission did not finish after the worker was killed")
	}
	if code != 0 {
		t.Fatalf("submit: exit %d\n%s\n%s", code, out, errs)
	}
	if log, _ := os.ReadFile(w2.LogFile()); !strings.Contains(string(log), "expansion resumed") {
		t.Errorf("worker-2 did not resume the image; its log ends:\n%s", w2.Log())
	}
	l.checkExactlyOnce(t, "k", "e", total)
}
