package sandbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage/sandbox"
)

var sink [][]byte

var handlers = map[string]sandbox.Handler{
	"echo": func(in []byte) ([]byte, error) { return in, nil },
	"refuse": func(in []byte) ([]byte, error) {
		return nil, fmt.Errorf("declares %s: %w", in, sandbox.ErrTooLarge)
	},
	"invalid": func([]byte) ([]byte, error) { return nil, errors.New("bad header") },
	"segv": func([]byte) ([]byte, error) {
		syscall.Kill(os.Getpid(), syscall.SIGSEGV)
		time.Sleep(time.Minute)
		return nil, nil
	},
	"panic": func([]byte) ([]byte, error) { panic("boom") },
	"spin": func([]byte) ([]byte, error) {
		for x := 0; ; x++ {
			if x < 0 {
				return nil, nil
			}
		}
	},
	"sleep": func([]byte) ([]byte, error) { time.Sleep(time.Minute); return nil, nil },
	"balloon": func([]byte) ([]byte, error) {
		for {
			b := make([]byte, 64<<20)
			for i := range b {
				b[i] = 1
			}
			sink = append(sink, b)
		}
	},
	"big": func([]byte) ([]byte, error) { return make([]byte, 2<<20), nil },
	"pid": func([]byte) ([]byte, error) { return []byte(fmt.Sprint(os.Getpid())), nil },
	"print": func(in []byte) ([]byte, error) {
		fmt.Println("a library printing to stdout")
		return in, nil
	},
	"write": func([]byte) ([]byte, error) {
		f, err := os.CreateTemp("", "sandbox-test")
		if err != nil {
			return nil, err
		}
		defer os.Remove(f.Name())
		_, err = f.Write([]byte("x"))
		return nil, err
	},
}

func TestMain(m *testing.M) {
	sandbox.Main(handlers)
	os.Exit(m.Run())
}

func newPool(t *testing.T, opt sandbox.PoolOptions) *sandbox.Pool {
	t.Helper()
	p, err := sandbox.NewPool(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestPoolEcho(t *testing.T) {
	p := newPool(t, sandbox.PoolOptions{Size: 2})
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			in := bytes.Repeat([]byte{byte(i)}, 1<<20+i)
			out, err := p.Run(ctx, "echo", in)
			if err != nil || !bytes.Equal(out, in) {
				t.Errorf("echo %d: %d bytes, %v", i, len(out), err)
			}
		})
	}
	wg.Wait()
	out, err := p.Run(ctx, "print", []byte("ok"))
	if err != nil || string(out) != "ok" {
		t.Fatalf("a handler printing to stdout: %q, %v", out, err)
	}
}

// TestPoolFailures: every way a decoder can fail costs one job, with the
// right kind of error, and the next job still runs.
func TestPoolFailures(t *testing.T) {
	p := newPool(t, sandbox.PoolOptions{Limits: sandbox.Limits{
		Memory: 256 << 20, CPU: time.Second, Wall: 20 * time.Second, MaxOutput: 1 << 20}})
	tests := []struct {
		kind string
		want error
	}{
		{"refuse", sandbox.ErrTooLarge},
		{"invalid", sandbox.ErrInvalid},
		{"missing", sandbox.ErrUnsupported},
		{"segv", sandbox.ErrCrashed},
		{"panic", sandbox.ErrCrashed},
		{"spin", sandbox.ErrCPULimit},
		{"balloon", sandbox.ErrMemoryLimit},
		{"big", sandbox.ErrOutputLimit},
		{"write", sandbox.ErrInvalid}, // "file too large": no file writes
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			if tt.want == sandbox.ErrMemoryLimit && sandbox.RaceDetector {
				t.Skip("a race build's children have no memory limit (the detector's shadow memory counts)")
			}
			_, err := p.Run(context.Background(), tt.kind, []byte("20480x20480"))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Run(%s) = %v, want %v", tt.kind, err, tt.want)
			}
			t.Logf("%s: %v", tt.kind, err)
			out, err := p.Run(context.Background(), "echo", []byte("next"))
			if err != nil || string(out) != "next" {
				t.Fatalf("the job after %s: %q, %v", tt.kind, out, err)
			}
		})
	}
}

func TestPoolTimeout(t *testing.T) {
	p := newPool(t, sandbox.PoolOptions{Limits: sandbox.Limits{Wall: 200 * time.Millisecond}})
	_, err := p.Run(context.Background(), "sleep", nil)
	if !errors.Is(err, sandbox.ErrTimeout) {
		t.Fatalf("Run(sleep) = %v, want ErrTimeout", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Run(ctx, "echo", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run with a cancelled context = %v", err)
	}
}

// TestPoolRecycles: a child is retired after MaxJobs jobs and after a
// failure, and reused otherwise.
func TestPoolRecycles(t *testing.T) {
	p := newPool(t, sandbox.PoolOptions{MaxJobs: 3})
	var pids []string
	for range 4 {
		out, err := p.Run(context.Background(), "pid", nil)
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, string(out))
	}
	if pids[0] != pids[1] || pids[1] != pids[2] || pids[2] == pids[3] {
		t.Fatalf("pids %v: want three jobs per child", pids)
	}
}

func TestCommand(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	lim := sandbox.Limits{Memory: 1 << 30, CPU: 3 * time.Second}
	cmd, err := sandbox.Command(ctx, lim, sh, "-c", "ulimit -d; ulimit -t; ulimit -f; ulimit -c")
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1048576", "3", "0", "0"}
	if got := strings.Fields(string(out)); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("limits inside the command: %q, want %q", got, want)
	}

	cmd, _ = sandbox.Command(ctx, lim, sh, "-c", "echo x > /dev/shm/winnow-sandbox-test-$$; rm -f /dev/shm/winnow-sandbox-test-$$")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = sandbox.ExitError(cmd, cmd.Run(), stderr.Bytes())
	if !errors.Is(err, sandbox.ErrCrashed) && (err == nil || !strings.Contains(stderr.String(), "File size limit")) {
		t.Fatalf("a command writing a file: %v (%s)", err, stderr.String())
	}
	t.Logf("writing a file: %v", err)
}

// BenchmarkPoolRoundTrip measures what isolation costs a decode: one job
// sending a 3 MB file and getting 36 MB of pixels back (a 12 MP RGB image).
func BenchmarkPoolRoundTrip(b *testing.B) {
	p, err := sandbox.NewPool(sandbox.PoolOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	in := make([]byte, 36<<20)
	ctx := context.Background()
	p.Run(ctx, "echo", nil) // start the child
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := p.Run(ctx, "echo", in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPoolStart measures starting a child (the cost a one-process-per-
// file design would pay for every image).
func BenchmarkPoolStart(b *testing.B) {
	for b.Loop() {
		p, err := sandbox.NewPool(sandbox.PoolOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Run(context.Background(), "echo", nil); err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}
