// Package servicetest gives tests real PostgreSQL, MinIO and Redis, each
// test isolated: a fresh schema, a fresh bucket, a flushed Redis database.
// It lives under storage/ because it is the test-side twin of the storage
// backends (like Perkeep's pkg/test/dockertest): every package whose tests
// need real services (storage, workers, api, cmd) imports it, and nothing
// outside tests does.
//
// Services come from the environment when set, else from this machine:
//
//	WINNOW_TEST_PG     PostgreSQL URL (default postgres://postgres@127.0.0.1:5432/test)
//	WINNOW_TEST_REDIS  host:port of a Redis that this test binary may use alone
//	                   (default: a private redis-server started per test binary)
//	WINNOW_TEST_MINIO  http://ACCESS:SECRET@host:port of a MinIO (default: a
//	                   private "minio server" started per test binary)
//
// A missing server fails the test with what to do; it never skips, so CI
// cannot pass without the services. WINNOW_TEST_SERVICES=skip is the one
// explicit way to skip these tests (on a laptop without the servers).
//
// Test binaries that use the private servers must call Main from TestMain,
// so the processes are stopped when the tests end.
package servicetest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Main runs the tests and then stops every server this package started
// and runs the AtExit functions.
func Main(m *testing.M) {
	code := m.Run()
	stopAll()
	for _, f := range atExit {
		f()
	}
	os.Exit(code)
}

var atExit []func()

// AtExit registers f to run when Main ends (after every test).
func AtExit(f func()) { atExit = append(atExit, f) }

var (
	procMu sync.Mutex
	procs  []*Process
)

func stopAll() {
	procMu.Lock()
	defer procMu.Unlock()
	for _, p := range procs {
		p.Stop()
		os.RemoveAll(p.dir)
	}
	procs = nil
}

func register(p *Process) {
	procMu.Lock()
	procs = append(procs, p)
	procMu.Unlock()
}

// skipIfAsked skips tb when WINNOW_TEST_SERVICES=skip.
func skipIfAsked(tb testing.TB) {
	tb.Helper()
	if os.Getenv("WINNOW_TEST_SERVICES") == "skip" {
		tb.Skip("WINNOW_TEST_SERVICES=skip: service tests skipped")
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// RandomName returns prefix followed by 12 random lowercase hex digits.
func RandomName(prefix string) string {
	var b [6]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// Process is a server started by this package as a plain process on
// loopback. Stop and Start let tests take it down and bring it back.
type Process struct {
	Name string
	// Addr is host:port.
	Addr string
	args []string
	env  []string
	dir  string
	// user, if set, runs the process as that system user.
	user  string
	ready func(ctx context.Context) error

	mu  sync.Mutex
	cmd *exec.Cmd
	log *os.File
}

// Start starts the process (again) and waits until it is ready.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return nil
	}
	args := p.args
	if p.user != "" {
		args = append([]string{"runuser", "-u", p.user, "--"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Dir = p.dir
	cmd.Stdout, cmd.Stderr = p.log, p.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	p.cmd = cmd
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		if err := p.ready(ctx); err == nil {
			return nil
		}
		select {
		case <-exited:
			p.cmd = nil
			return fmt.Errorf("%s exited at start; its log is %s:\n%s", p.Name, p.log.Name(), tail(p.log.Name()))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after 60 s; its log is %s:\n%s", p.Name, p.log.Name(), tail(p.log.Name()))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop stops the process (SIGTERM, then SIGKILL after 10 s) and waits.
func (p *Process) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	pgid := p.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for syscall.Kill(p.cmd.Process.Pid, 0) == nil {
			time.Sleep(20 * time.Millisecond)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
	p.cmd = nil
}

// Kill kills the process with SIGKILL at once.
func (p *Process) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	for syscall.Kill(p.cmd.Process.Pid, 0) == nil {
		time.Sleep(10 * time.Millisecond)
	}
	p.cmd = nil
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func newProcess(tb testing.TB, name string, dir string) *Process {
	tb.Helper()
	if dir == "" {
		d, err := os.MkdirTemp("", "winnow-"+name+"-")
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		dir = d
	}
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return &Process{Name: name, dir: dir, log: log}
}

func tcpReady(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
}

// --- Redis -----------------------------------------------------------------

// Redis is a Redis database for one test.
type Redis struct {
	Addr string
	DB   int
}

var (
	sharedRedisOnce sync.Once
	sharedRedis     string
	sharedRedisErr  error
	redisDBs        = make(chan int, 16)
)

func init() {
	for i := range 16 {
		redisDBs <- i
	}
}

// MustRedis returns a flushed Redis database that no other test uses while
// this one runs; it is flushed again at cleanup.
func MustRedis(tb testing.TB) Redis {
	tb.Helper()
	skipIfAsked(tb)
	sharedRedisOnce.Do(func() {
		if a := os.Getenv("WINNOW_TEST_REDIS"); a != "" {
			sharedRedis = a
			return
		}
		p, err := newRedis(tb, 0, false)
		if err == nil {
			register(p)
			sharedRedis = p.Addr
		}
		sharedRedisErr = err
	})
	if sharedRedisErr != nil {
		tb.Fatalf("redis: %v", sharedRedisErr)
	}
	db := <-redisDBs
	r := Redis{Addr: sharedRedis, DB: db}
	if err := FlushRedis(r); err != nil {
		redisDBs <- db
		tb.Fatalf("redis at %s: %v (set WINNOW_TEST_REDIS or install redis-server)", r.Addr, err)
	}
	tb.Cleanup(func() { FlushRedis(r); redisDBs <- db })
	return r
}

// StartRedis starts a private redis-server for one test (for tests that
// stop or restart it) and stops it at cleanup. With aof set it keeps an
// append-only file, as deployments do.
func StartRedis(tb testing.TB, aof bool) *Process {
	tb.Helper()
	skipIfAsked(tb)
	p, err := newRedis(tb, FreePort(tb), aof)
	if err != nil {
		tb.Fatalf("redis: %v", err)
	}
	tb.Cleanup(func() { p.Stop(); os.RemoveAll(p.dir) })
	return p
}

func newRedis(tb testing.TB, port int, aof bool) (*Process, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server not found: install it (Debian: apt-get install redis-server) or set WINNOW_TEST_REDIS")
	}
	if port == 0 {
		port = FreePort(tb)
	}
	p := newProcess(tb, "redis", "")
	p.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	ao := "no"
	if aof {
		ao = "yes"
	}
	p.args = []string{bin, "--bind", "127.0.0.1", "--port", fmt.Sprint(port), "--save", "", "--appendonly", ao,
		"--dir", p.dir, "--maxmemory-policy", "noeviction", "--databases", "16"}
	p.ready = redisPing(p.Addr)
	return p, p.Start()
}

func redisPing(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		return redisCommand(ctx, addr, 0, "PING")
	}
}

// FlushRedis empties r's database.
func FlushRedis(r Redis) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return redisCommand(ctx, r.Addr, r.DB, "FLUSHDB")
}

// redisCommand sends one inline command after SELECT db and checks that the
// reply is not an error. Enough for PING and FLUSHDB, without a client.
func redisCommand(ctx context.Context, addr string, db int, cmd string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	fmt.Fprintf(c, "SELECT %d\r\n%s\r\n", db, cmd)
	br := bufio.NewReader(c)
	for range 2 {
		line, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, "-") {
			return fmt.Errorf("redis: %s", strings.TrimSpace(line[1:]))
		}
	}
	return nil
}

// --- MinIO -------------------------------------------------------------------

// MinIO is a bucket on a MinIO server for one test.
type MinIO struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Bucket    string
	// KMS reports whether the server has a KMS key, so SSE-S3 works.
	KMS bool
	// Secure is set for a TLS server; Transport then trusts its
	// certificate.
	Secure    bool
	Transport http.RoundTripper
}

const (
	minioUser   = "winnowtest"
	minioSecret = "winnowtest-secret"
)

var (
	sharedMinIOOnce sync.Once
	sharedMinIO     MinIO
	sharedMinIOErr  error
)

// MinIOBinary returns the path of the minio server binary: on PATH, or in
// $GOPATH/bin where "go install github.com/minio/minio@latest" puts it.
func MinIOBinary() (string, error) {
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, _ := os.UserHomeDir()
		gopath = filepath.Join(home, "go")
	}
	p := filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "bin", "minio")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("minio server binary not found on PATH or in %s: run scripts/services.sh install", filepath.Dir(p))
	}
	return p, nil
}

// MinIOServer returns the MinIO server shared by this test binary, without
// a bucket.
func MinIOServer(tb testing.TB) MinIO {
	tb.Helper()
	skipIfAsked(tb)
	sharedMinIOOnce.Do(func() {
		if u := os.Getenv("WINNOW_TEST_MINIO"); u != "" {
			pu, err := url.Parse(u)
			if err != nil || pu.User == nil {
				sharedMinIOErr = fmt.Errorf("WINNOW_TEST_MINIO must look like http://ACCESS:SECRET@host:port")
				return
			}
			sec, _ := pu.User.Password()
			sharedMinIO = MinIO{Endpoint: pu.Host, AccessKey: pu.User.Username(), SecretKey: sec, KMS: pu.Query().Get("kms") != ""}
			return
		}
		p, m, err := newMinIO(tb, false)
		if err == nil {
			register(p)
			sharedMinIO = m
		}
		sharedMinIOErr = err
	})
	if sharedMinIOErr != nil {
		tb.Fatalf("minio: %v", sharedMinIOErr)
	}
	return sharedMinIO
}

// MustMinIO returns a fresh bucket name on the shared server; the test's
// store creates the bucket (with or without object lock) and the bucket is
// emptied and removed at cleanup by RemoveBucket, which the caller
// registers once it has a client.
func MustMinIO(tb testing.TB) MinIO {
	tb.Helper()
	m := MinIOServer(tb)
	m.Bucket = RandomName("t-")
	return m
}

// StartMinIO starts a private MinIO server for one test (for tests that
// stop it, or need TLS, which SSE-C requires) and stops it at cleanup. Its
// data survives Stop and Start.
func StartMinIO(tb testing.TB, tls bool) (*Process, MinIO) {
	tb.Helper()
	skipIfAsked(tb)
	p, m, err := newMinIO(tb, tls)
	if err != nil {
		tb.Fatalf("minio: %v", err)
	}
	tb.Cleanup(func() { p.Stop(); os.RemoveAll(p.dir) })
	m.Bucket = RandomName("t-")
	return p, m
}

func newMinIO(tb testing.TB, tls bool) (*Process, MinIO, error) {
	bin, err := MinIOBinary()
	if err != nil {
		return nil, MinIO{}, err
	}
	p := newProcess(tb, "minio", "")
	port, cport := FreePort(tb), FreePort(tb)
	p.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	var key [32]byte
	rand.Read(key[:])
	p.args = []string{bin, "server", "--quiet", "--address", p.Addr, "--console-address", fmt.Sprintf("127.0.0.1:%d", cport), filepath.Join(p.dir, "data")}
	p.env = []string{
		"MINIO_ROOT_USER=" + minioUser, "MINIO_ROOT_PASSWORD=" + minioSecret,
		"MINIO_KMS_SECRET_KEY=winnow-test-key:" + base64.StdEncoding.EncodeToString(key[:]),
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CALLHOME_ENABLE=off",
	}
	m := MinIO{Endpoint: p.Addr, AccessKey: minioUser, SecretKey: minioSecret, KMS: true}
	if tls {
		certs := filepath.Join(p.dir, "certs")
		tr, err := writeCert(certs)
		if err != nil {
			return nil, m, err
		}
		p.args = append(p.args, "--certs-dir", certs)
		m.Secure, m.Transport = true, tr
	}
	p.ready = func(ctx context.Context) error { return minioReady(ctx, m) }
	return p, m, p.Start()
}

// --- PostgreSQL ----------------------------------------------------------------

// Postgres is a schema on a PostgreSQL server for one test.
type Postgres struct {
	URL    string
	Schema string
}

// PostgresURL returns the server tests use.
func PostgresURL() string {
	if u := os.Getenv("WINNOW_TEST_PG"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// MustPostgres returns a fresh schema name on the test server, which is
// dropped at cleanup; the store creates it (postgres.Config.Schema).
func MustPostgres(tb testing.TB) Postgres {
	tb.Helper()
	skipIfAsked(tb)
	pg := Postgres{URL: PostgresURL(), Schema: RandomName("t_")}
	if err := psql(pg.URL, "SELECT 1"); err != nil {
		tb.Fatalf("postgres at %s is not reachable (%v): start it with scripts/services.sh up, or set WINNOW_TEST_PG", pg.URL, err)
	}
	tb.Cleanup(func() {
		if err := psql(pg.URL, "DROP SCHEMA IF EXISTS "+pg.Schema+" CASCADE"); err != nil {
			tb.Logf("drop schema %s: %v", pg.Schema, err)
		}
	})
	return pg
}

// StartPostgres initialises and starts a private PostgreSQL cluster (as the
// postgres system user) for tests that stop the database, and removes it at
// cleanup. Its URL is for database postgres, user postgres.
func StartPostgres(tb testing.TB) (*Process, Postgres) {
	tb.Helper()
	skipIfAsked(tb)
	bindir, err := pgBinDir()
	if err != nil {
		tb.Fatalf("postgres: %v", err)
	}
	dir, err := os.MkdirTemp("", "winnow-pg-")
	if err != nil {
		tb.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	data := filepath.Join(dir, "data")
	tb.Cleanup(func() { os.RemoveAll(dir) })
	out, err := exec.Command("runuser", "-u", "postgres", "--", filepath.Join(bindir, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync").CombinedOutput()
	if err != nil {
		tb.Fatalf("initdb: %v\n%s", err, out)
	}
	p := newProcess(tb, "postgres", dir)
	os.Chmod(p.log.Name(), 0o666)
	port := FreePort(tb)
	p.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	p.user = "postgres"
	p.args = []string{filepath.Join(bindir, "postgres"), "-D", data, "-p", fmt.Sprint(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=100"}
	p.ready = func(ctx context.Context) error {
		return psql(fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable", p.Addr), "SELECT 1")
	}
	if err := p.Start(); err != nil {
		tb.Fatalf("postgres: %v", err)
	}
	tb.Cleanup(p.Stop)
	return p, Postgres{URL: fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable", p.Addr), Schema: RandomName("t_")}
}

func pgBinDir() (string, error) {
	ms, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(ms) == 0 {
		return "", fmt.Errorf("no PostgreSQL server binaries in /usr/lib/postgresql: apt-get install postgresql")
	}
	return filepath.Dir(ms[len(ms)-1]), nil
}

// Command starts a program of the test's own (winnow serve, winnow worker)
// as a process with the given extra environment, waits until ready
// answers nil, and stops it at cleanup. Its output goes to a log file,
// shown by Log.
func Command(tb testing.TB, name string, env []string, ready func(ctx context.Context) error, args ...string) *Process {
	tb.Helper()
	p := newProcess(tb, name, tb.TempDir())
	p.args, p.env, p.ready = args, env, ready
	if p.ready == nil {
		p.ready = func(context.Context) error { return nil }
	}
	if err := p.Start(); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	tb.Cleanup(p.Stop)
	return p
}

// Log returns the end of the process's output.
func (p *Process) Log() string { return tail(p.log.Name()) }

// LogFile is the path of the file holding the process's whole output.
func (p *Process) LogFile() string { return p.log.Name() }

// Pid returns the running process's id (0 if stopped).
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}
