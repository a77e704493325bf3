package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Command returns a command that runs the program at path (an absolute
// path: use exec.LookPath) with args under lim's memory and CPU limits, no
// file writes, no core dumps and few open files, in a minimal environment.
// The process is killed when ctx is done, and when this process dies; set
// the wall-clock limit on ctx. Wait's error for a program stopped by a
// limit can be explained with ExitError.
//
// A program killed because ctx was done ends with ErrCrashed (killed):
// check ctx.Err() first.
func Command(ctx context.Context, lim Limits, path string, args ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("sandbox: cannot find this binary to start children: %w", err)
	}
	lim = lim.withDefaults()
	argv := append(childArgs("exec", lim), "--", path)
	cmd := exec.CommandContext(ctx, exe, append(argv, args...)...)
	cmd.Env = []string{"LC_ALL=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = time.Second
	return cmd, nil
}

// ExitError explains how a program run by Command ended, given the error
// from its Wait (or Run) and the last of its standard error output. It
// returns nil when the program exited with status 0.
func ExitError(cmd *exec.Cmd, waitErr error, stderr []byte) error {
	if waitErr == nil {
		return nil
	}
	if cmd.ProcessState == nil {
		return &Error{ErrCrashed, waitErr.Error()}
	}
	var t tail
	t.Write(stderr)
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Exited() && ws.ExitStatus() >= exitUsage && ws.ExitStatus() <= exitLimits {
		return errorf(ErrCrashed, "sandbox could not start the program: %s", t.lastLine())
	}
	err := exitError(cmd.ProcessState, &t)
	if ws.Exited() && errors.Is(err, ErrCrashed) {
		return errorf(ErrExit, "%s", t.lastLine())
	}
	return err
}

// Memfd returns an anonymous in-memory file (memfd_create(2)), closed on
// exec unless passed in exec.Cmd.ExtraFiles: how content that is not a
// plain file reaches a child that needs a seekable file, never through
// the disk.
func Memfd(name string) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("sandbox: memfd_create: %w", err)
	}
	return os.NewFile(uintptr(fd), name), nil
}
