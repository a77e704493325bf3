package sandbox

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// modeArg, as os.Args[1], starts the binary as a sandbox child.
const modeArg = "-winnow-sandbox-child"

// Limits bound one job (Pool) or one command (Command). Zero fields take
// the defaults.
type Limits struct {
	// Memory is the child's limit on private writable memory in bytes
	// (RLIMIT_DATA: heap, malloc, thread stacks, whether touched or not).
	Memory int64
	// CPU is the CPU time one job or command may use.
	CPU time.Duration
	// Wall is the wall-clock time one Pool job may take (Command: use the
	// context).
	Wall time.Duration
	// MaxInput and MaxOutput bound the bytes of one Pool job's request and
	// answer.
	MaxInput, MaxOutput int64
}

// DefaultLimits: enough for a 64 MP decode or a long 4K video, small enough
// that a bomb is stopped well before it hurts the machine.
var DefaultLimits = Limits{
	Memory:    2 << 30,
	CPU:       60 * time.Second,
	Wall:      180 * time.Second,
	MaxInput:  1 << 30,
	MaxOutput: 1 << 30,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.Memory > 0 {
		d.Memory = l.Memory
	}
	if l.CPU > 0 {
		d.CPU = l.CPU
	}
	if l.Wall > 0 {
		d.Wall = l.Wall
	}
	if l.MaxInput > 0 {
		d.MaxInput = l.MaxInput
	}
	if l.MaxOutput > 0 {
		d.MaxOutput = l.MaxOutput
	}
	return d
}

// cpuSeconds rounds a CPU limit up to RLIMIT_CPU's unit.
func cpuSeconds(d time.Duration) uint64 {
	return uint64((d + time.Second - 1) / time.Second)
}

// Errors that a job's or command's error wraps (test with errors.Is).
var (
	// ErrInvalid: the handler refused the input as malformed.
	ErrInvalid = errors.New("invalid input")
	// ErrTooLarge: the handler refused the input as over its limits.
	ErrTooLarge = errors.New("input over the limits")
	// ErrUnsupported: the handler cannot process this kind of input.
	ErrUnsupported = errors.New("unsupported input")
	// ErrCrashed: the child died (a signal, an abort, an unexpected exit).
	ErrCrashed = errors.New("decoder crashed")
	// ErrTimeout: the job ran past Limits.Wall.
	ErrTimeout = errors.New("decoder timed out")
	// ErrCPULimit: the job used more than Limits.CPU.
	ErrCPULimit = errors.New("decoder over its CPU limit")
	// ErrMemoryLimit: the child ran out of its address space.
	ErrMemoryLimit = errors.New("decoder over its memory limit")
	// ErrOutputLimit: the answer was larger than Limits.MaxOutput.
	ErrOutputLimit = errors.New("decoder output over the limit")
	// ErrExit: a program run by Command exited with a failure status of
	// its own (it refused the input).
	ErrExit = errors.New("program failed")
)

// Error is a failed job: one of the errors above and a message for people.
type Error struct {
	Kind error
	Msg  string
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the kind, for errors.Is.
func (e *Error) Unwrap() error { return e.Kind }

// Handler runs one job in a child: it gets the request's bytes and returns
// the answer's. Errors that wrap ErrTooLarge or ErrUnsupported keep that
// kind in the parent; any other error arrives as ErrInvalid with its
// message. A panic is reported as ErrCrashed.
type Handler func(in []byte) ([]byte, error)

// Main runs the sandbox child when the process was started as one, and
// never returns then; otherwise it returns at once. Call it first in main
// and in TestMain of any test binary that uses a Pool or Command, with
// every Handler a Pool of this binary may call.
func Main(handlers map[string]Handler) {
	if len(os.Args) < 2 || os.Args[1] != modeArg {
		return
	}
	os.Exit(childMain(os.Args[2:], handlers))
}

// Exit statuses of a child.
const (
	exitUsage = 70 + iota
	exitCPU
	exitProtocol
	exitExec
	exitLimits
)

// childArgs encodes the limits for a child's command line.
func childArgs(mode string, lim Limits) []string {
	return []string{modeArg, mode,
		strconv.FormatInt(lim.Memory, 10),
		strconv.FormatUint(cpuSeconds(lim.CPU), 10),
		strconv.FormatInt(lim.MaxInput, 10),
	}
}

func parseChildArgs(args []string) (mode string, lim Limits, rest []string, err error) {
	if len(args) < 4 {
		return "", lim, nil, errors.New("too few arguments")
	}
	mem, err1 := strconv.ParseInt(args[1], 10, 64)
	cpu, err2 := strconv.ParseUint(args[2], 10, 32)
	in, err3 := strconv.ParseInt(args[3], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return "", lim, nil, err
	}
	return args[0], Limits{Memory: mem, CPU: time.Duration(cpu) * time.Second, MaxInput: in}, args[4:], nil
}

// tail keeps the first and the last bytes written to it: a child's stderr,
// for the error message when it dies (a Go runtime's fatal error comes
// first, then its goroutine dump). Decoders print diagnostics there, never
// input.
type tail struct {
	mu   sync.Mutex
	head []byte
	buf  []byte
}

const tailLen = 2048

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := min(len(p), tailLen/2-len(t.head)); n > 0 {
		t.head = append(t.head, p[:n]...)
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailLen {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailLen:]...)
	}
	return len(p), nil
}

// lastLine returns the last non-empty line, trimmed.
func (t *tail) lastLine() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	s := strings.TrimSpace(lines[len(lines)-1])
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// firstLine returns the first non-empty line: a Go runtime's fatal error
// ("SIGSEGV: segmentation violation", "fatal error: ...").
func (t *tail) firstLine() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, _, _ := strings.Cut(strings.TrimSpace(string(t.head)), "\n")
	return strings.TrimSpace(s)
}

func (t *tail) contains(s string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s = strings.ToLower(s)
	return strings.Contains(strings.ToLower(string(t.head)), s) || strings.Contains(strings.ToLower(string(t.buf)), s)
}

func errorf(kind error, format string, args ...any) *Error {
	return &Error{kind, fmt.Sprintf(format, args...)}
}
