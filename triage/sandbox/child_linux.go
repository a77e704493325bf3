package sandbox

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Response statuses.
const (
	statusOK = iota
	statusInvalid
	statusTooLarge
	statusUnsupported
	statusPanic
)

// maxChildFiles is a child's open-file limit: the Go runtime, its pipes,
// /dev/null, and what a decoder library may open of its own.
const maxChildFiles = 64

// setLimits applies lim to the calling process: private writable memory
// (RLIMIT_DATA: heap, malloc arenas, thread stacks; not RLIMIT_AS, which
// also counts the 1.2 GB of address space the Go runtime reserves and never
// touches), CPU time
// (soft limit lim.CPU, hard limit hardCPU seconds), no file writes, no
// core dumps, few open files.
func setLimits(lim Limits, hardCPU uint64, limitMemory bool) error {
	set := func(res int, cur, max uint64) error {
		return syscall.Setrlimit(res, &syscall.Rlimit{Cur: cur, Max: max})
	}
	cpu := cpuSeconds(lim.CPU)
	var memErr error
	if limitMemory {
		memErr = set(syscall.RLIMIT_DATA, uint64(lim.Memory), uint64(lim.Memory))
	}
	return errors.Join(
		memErr,
		set(syscall.RLIMIT_CPU, cpu, max(cpu, hardCPU)),
		set(syscall.RLIMIT_FSIZE, 0, 0),
		set(syscall.RLIMIT_CORE, 0, 0),
		set(syscall.RLIMIT_NOFILE, maxChildFiles, maxChildFiles),
	)
}

func childMain(args []string, handlers map[string]Handler) int {
	mode, lim, rest, err := parseChildArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sandbox child:", err)
		return exitUsage
	}
	switch mode {
	case "exec":
		return execChild(lim, rest)
	case "pool":
		return poolChild(lim, handlers)
	}
	fmt.Fprintln(os.Stderr, "sandbox child: unknown mode", mode)
	return exitUsage
}

// execChild limits itself and becomes the program in args.
func execChild(lim Limits, args []string) int {
	if len(args) < 2 || args[0] != "--" {
		fmt.Fprintln(os.Stderr, "sandbox child: want -- PROGRAM ARGS")
		return exitUsage
	}
	// The hard CPU limit a few seconds above the soft one: SIGXCPU first,
	// which ends a program that does not catch it, then SIGKILL.
	if err := setLimits(lim, cpuSeconds(lim.CPU)+5, true); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox child: limits:", err)
		return exitLimits
	}
	err := syscall.Exec(args[1], args[1:], os.Environ())
	fmt.Fprintln(os.Stderr, "sandbox child: exec:", err)
	return exitExec
}

// poolChild serves jobs on stdin/stdout until stdin closes.
func poolChild(lim Limits, handlers map[string]Handler) int {
	// The protocol gets private copies of stdin and stdout; the standard
	// descriptors become /dev/null and stderr, so a library that prints
	// cannot corrupt the answers.
	in, out, err := privateStdio()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sandbox child:", err)
		return exitProtocol
	}
	// The hard CPU limit bounds the child's whole life; the soft one is
	// re-armed above what is used so far before each job.
	hard := cpuSeconds(lim.CPU) * (maxJobsCap + 1)
	// A race build's own shadow memory would count against the limit.
	if err := setLimits(lim, hard, !raceDetector); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox child: limits:", err)
		return exitLimits
	}
	xcpu := make(chan os.Signal, 1)
	signal.Notify(xcpu, syscall.SIGXCPU)
	go func() {
		<-xcpu
		os.Exit(exitCPU)
	}()
	r := bufio.NewReaderSize(in, 64<<10)
	w := bufio.NewWriterSize(out, 64<<10)
	for {
		kind, req, err := readRequest(r, lim.MaxInput)
		if err == io.EOF {
			return 0
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "sandbox child:", err)
			return exitProtocol
		}
		if err := rearmCPU(lim.CPU, hard); err != nil {
			fmt.Fprintln(os.Stderr, "sandbox child: limits:", err)
			return exitLimits
		}
		status, resp := runHandler(handlers[kind], kind, req)
		req = nil
		if err := writeResponse(w, status, resp); err != nil {
			return exitProtocol
		}
	}
}

func privateStdio() (in, out *os.File, err error) {
	fin, err := syscall.Dup(0)
	if err != nil {
		return nil, nil, err
	}
	fout, err := syscall.Dup(1)
	if err != nil {
		return nil, nil, err
	}
	null, err := syscall.Open(os.DevNull, syscall.O_RDONLY, 0)
	if err != nil {
		return nil, nil, err
	}
	if err := errors.Join(syscall.Dup3(null, 0, 0), syscall.Dup3(2, 1, 0)); err != nil {
		return nil, nil, err
	}
	syscall.Close(null)
	syscall.CloseOnExec(fin)
	syscall.CloseOnExec(fout)
	return os.NewFile(uintptr(fin), "sandbox-in"), os.NewFile(uintptr(fout), "sandbox-out"), nil
}

// rearmCPU sets the soft CPU limit to the CPU used so far plus one job's.
func rearmCPU(job time.Duration, hard uint64) error {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return err
	}
	used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	soft := min(cpuSeconds(used+job), hard)
	return syscall.Setrlimit(syscall.RLIMIT_CPU, &syscall.Rlimit{Cur: soft, Max: hard})
}

func runHandler(h Handler, kind string, req []byte) (status byte, resp []byte) {
	if h == nil {
		return statusUnsupported, []byte(fmt.Sprintf("no handler %q in this binary", kind))
	}
	defer func() {
		if p := recover(); p != nil {
			status, resp = statusPanic, []byte(fmt.Sprintf("handler %s panicked: %v", kind, p))
		}
	}()
	out, err := h(req)
	switch {
	case err == nil:
		return statusOK, out
	case errors.Is(err, ErrTooLarge):
		return statusTooLarge, []byte(err.Error())
	case errors.Is(err, ErrUnsupported):
		return statusUnsupported, []byte(err.Error())
	}
	return statusInvalid, []byte(err.Error())
}

func readRequest(r *bufio.Reader, maxInput int64) (string, []byte, error) {
	n, err := r.ReadByte()
	if err != nil {
		return "", nil, err // io.EOF: the parent closed our stdin
	}
	var hdr [8]byte
	kind := make([]byte, n)
	if _, err := io.ReadFull(r, kind); err != nil {
		return "", nil, err
	}
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return "", nil, err
	}
	size := binary.BigEndian.Uint64(hdr[:])
	if size > uint64(maxInput) {
		return "", nil, fmt.Errorf("request of %d bytes, over %d", size, maxInput)
	}
	req := make([]byte, size)
	if _, err := io.ReadFull(r, req); err != nil {
		return "", nil, err
	}
	return string(kind), req, nil
}

func writeResponse(w *bufio.Writer, status byte, resp []byte) error {
	var hdr [9]byte
	hdr[0] = status
	binary.BigEndian.PutUint64(hdr[1:], uint64(len(resp)))
	w.Write(hdr[:])
	w.Write(resp)
	return w.Flush()
}
