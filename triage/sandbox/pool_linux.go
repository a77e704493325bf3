package sandbox

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"time"
)

// pipeSize is the kernel buffer of the pipes to and from a child.
const pipeSize = 1 << 20

// maxJobsCap bounds PoolOptions.MaxJobs (and so a child's lifetime CPU).
const maxJobsCap = 1000

// PoolOptions configure a Pool.
type PoolOptions struct {
	// Size is the most children alive at once (and so jobs run at once);
	// zero means 1.
	Size int
	// MaxJobs retires a child after this many jobs; zero means 256.
	MaxJobs int
	Limits  Limits
	// Executable is the binary to start; "" means this one
	// (os.Executable), which must call Main first.
	Executable string
}

// Pool runs jobs in long-lived child processes. It is safe for concurrent
// use; Run blocks while all children are busy.
type Pool struct {
	exe     string
	lim     Limits
	maxJobs int
	slots   chan struct{}
	idle    chan *child
	closed  atomic.Bool
}

// NewPool returns a Pool; children start when jobs need them.
func NewPool(opt PoolOptions) (*Pool, error) {
	exe := opt.Executable
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("sandbox: cannot find this binary to start children: %w", err)
		}
	}
	size := max(opt.Size, 1)
	maxJobs := opt.MaxJobs
	if maxJobs <= 0 {
		maxJobs = 256
	}
	return &Pool{
		exe:     exe,
		lim:     opt.Limits.withDefaults(),
		maxJobs: min(maxJobs, maxJobsCap),
		slots:   make(chan struct{}, size),
		idle:    make(chan *child, size),
	}, nil
}

type child struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr tail
	jobs   int
	exited chan struct{} // closed when Wait returns
}

func (p *Pool) start() (*child, error) {
	c := &child{exited: make(chan struct{})}
	cmd := exec.Command(p.exe, childArgs("pool", p.lim)...)
	cmd.Env = []string{"LC_ALL=C"}
	cmd.Stderr = &c.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("sandbox: start child: %w", err)
	}
	// Larger pipes: fewer context switches for megabytes of pixels.
	for _, f := range []any{in, out} {
		if fd, ok := f.(interface{ Fd() uintptr }); ok {
			syscall.Syscall(syscall.SYS_FCNTL, fd.Fd(), syscall.F_SETPIPE_SZ, pipeSize)
		}
	}
	c.cmd, c.in, c.out = cmd, in, bufio.NewReaderSize(out, 64<<10)
	go func() {
		cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// stop ends a child and waits for it.
func (c *child) stop() {
	c.in.Close()
	select {
	case <-c.exited:
	case <-time.After(time.Second):
		c.cmd.Process.Kill()
		<-c.exited
	}
}

// Run sends in to a child's handler kind and returns its answer. A failed
// job returns an *Error; the child is then replaced, and the Pool stays
// usable. ctx bounds the wait for a child as well as the job.
func (p *Pool) Run(ctx context.Context, kind string, in []byte) ([]byte, error) {
	if len(kind) > 255 {
		return nil, fmt.Errorf("sandbox: handler name %q too long", kind)
	}
	if int64(len(in)) > p.lim.MaxInput {
		return nil, errorf(ErrTooLarge, "input of %d bytes, over the decoder's limit of %d", len(in), p.lim.MaxInput)
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.slots }()
	var c *child
	select {
	case c = <-p.idle:
	default:
		var err error
		if c, err = p.start(); err != nil {
			return nil, err
		}
	}
	out, err := p.job(ctx, c, kind, in)
	c.jobs++
	var se *Error
	if err != nil && !(errors.As(err, &se) && isRefusal(se.Kind)) || c.jobs >= p.maxJobs || p.closed.Load() {
		go c.stop()
		return out, err
	}
	p.idle <- c
	return out, err
}

// isRefusal reports a handler's own answer, after which the child is fine.
func isRefusal(kind error) bool {
	return kind == ErrInvalid || kind == ErrTooLarge || kind == ErrUnsupported
}

type result struct {
	status byte
	body   []byte
	err    error
}

func (p *Pool) job(ctx context.Context, c *child, kind string, in []byte) ([]byte, error) {
	done := make(chan result, 1)
	go func() {
		var hdr [9]byte
		hdr[0] = byte(len(kind))
		req := append(hdr[:1], kind...)
		req = binary.BigEndian.AppendUint64(req, uint64(len(in)))
		if _, err := c.in.Write(req); err != nil {
			done <- result{err: err}
			return
		}
		if _, err := c.in.Write(in); err != nil {
			done <- result{err: err}
			return
		}
		if _, err := io.ReadFull(c.out, hdr[:]); err != nil {
			done <- result{err: err}
			return
		}
		n := binary.BigEndian.Uint64(hdr[1:])
		if n > uint64(p.lim.MaxOutput) {
			done <- result{err: errorf(ErrOutputLimit, "decoder answered %d bytes, over the limit of %d", n, p.lim.MaxOutput)}
			return
		}
		body := make([]byte, n)
		_, err := io.ReadFull(c.out, body)
		done <- result{status: hdr[0], body: body, err: err}
	}()
	timer := time.NewTimer(p.lim.Wall)
	defer timer.Stop()
	var res result
	select {
	case res = <-done:
	case <-timer.C:
		c.cmd.Process.Kill()
		<-done
		return nil, errorf(ErrTimeout, "decoder took longer than %v; stopped", p.lim.Wall)
	case <-ctx.Done():
		c.cmd.Process.Kill()
		<-done
		return nil, ctx.Err()
	}
	if res.err != nil {
		if se := (*Error)(nil); errors.As(res.err, &se) {
			return nil, se
		}
		return nil, c.death()
	}
	switch res.status {
	case statusOK:
		return res.body, nil
	case statusTooLarge:
		return nil, &Error{ErrTooLarge, string(res.body)}
	case statusUnsupported:
		return nil, &Error{ErrUnsupported, string(res.body)}
	case statusPanic:
		return nil, &Error{ErrCrashed, string(res.body)}
	}
	return nil, &Error{ErrInvalid, string(res.body)}
}

// death explains why a child stopped answering.
func (c *child) death() error {
	select {
	case <-c.exited:
	case <-time.After(2 * time.Second):
		c.cmd.Process.Kill()
		<-c.exited
	}
	return exitError(c.cmd.ProcessState, &c.stderr)
}

// exitError describes how a child process ended.
func exitError(ps *os.ProcessState, stderr *tail) error {
	if ps == nil {
		return errorf(ErrCrashed, "decoder stopped answering")
	}
	ws, _ := ps.Sys().(syscall.WaitStatus)
	switch {
	case ws.Signaled() && ws.Signal() == syscall.SIGXCPU, ws.Exited() && ws.ExitStatus() == exitCPU:
		return errorf(ErrCPULimit, "decoder used more than its CPU time limit; stopped")
	case stderr.contains("out of memory") || stderr.contains("cannot allocate memory") || stderr.contains("failed to map segment"):
		return errorf(ErrMemoryLimit, "decoder exceeded its memory limit; stopped")
	case ws.Signaled():
		return errorf(ErrCrashed, "decoder crashed (%v)", ws.Signal())
	case ws.Exited() && ws.ExitStatus() == 2 && stderr.firstLine() != "":
		// The Go runtime's exit after a fatal signal in C code or a throw.
		return errorf(ErrCrashed, "decoder crashed (%s)", stderr.firstLine())
	}
	msg := stderr.lastLine()
	if msg == "" {
		msg = ps.String()
	}
	return errorf(ErrCrashed, "decoder failed: %s", msg)
}

// Close stops the idle children; children busy in Run stop when their job
// ends. The Pool must not be used afterwards.
func (p *Pool) Close() error {
	p.closed.Store(true)
	for {
		select {
		case c := <-p.idle:
			c.stop()
		default:
			return nil
		}
	}
}
