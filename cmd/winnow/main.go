// Command winnow triages seized media against known hash sets.
//
// One binary, one subcommand per file in this folder. Run "winnow help" for
// the list and "winnow help COMMAND" for one command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/winnow-forensics/winnow/triage/sandbox"
)

// command is one subcommand: its name, a one-line summary, and a run
// function that parses its own flags.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// commands lists every subcommand; each lives in its own file.
var commands = []command{
	{"hash", "fingerprint files: MD5, SHA-1, SHA-256, PDQ, pHash, dHash as JSON Lines", runHash},
	{"match", "find every query/index hash pair within a Hamming distance (pdq, phash)", runMatch},
	{"hashset", "build, inspect and export compiled hash sets", runHashset},
	{"scan", "triage folders and archives offline against hash sets; writes a report", runScan},
	{"version", "print the version and the active decoders", runVersion},
	{"serve", "run the lab service's HTTP API", runServe},
	{"worker", "run a lab worker (analysis, hash-set import, reconciler)", runWorker},
	{"submit", "upload files to a lab service and optionally wait for their verdicts", runSubmit},
	{"admin", "manage lab users and tokens", runAdmin},
	{"audit", "verify and export the tamper-evident audit log", runAudit},
}

// helpCommand is kept out of the table because it reads the table.
var helpCommand = command{"help", "show help for winnow or one command", nil}

// env is what a command may touch of the process: its streams and a way to
// read the environment, so tests can run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// stderrTerminal reports whether stderr is a terminal (progress lines).
	stderrTerminal bool
}

// exitError carries a specific exit status.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// errUsage means the command line was wrong; the usage was already printed.
var errUsage = errors.New("usage")

func main() {
	sandbox.Main(sandboxHandlers) // a sandbox child runs its decoder and exits here
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{
		stdin:          os.Stdin,
		stdout:         os.Stdout,
		stderr:         os.Stderr,
		getenv:         os.Getenv,
		stderrTerminal: isTerminal(os.Stderr),
	}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return 2
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "-help" {
		name = "help"
	}
	if name == "--version" || name == "-version" {
		name = "version"
	}
	if name == helpCommand.name {
		if err := runHelp(ctx, e, args[1:]); err != nil {
			fmt.Fprintf(e.stderr, "winnow help: %v\n", err)
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := c.run(ctx, e, args[1:])
		var xe *exitError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		case errors.As(err, &xe):
			if xe.err != nil && xe.err.Error() != "" {
				fmt.Fprintf(e.stderr, "winnow %s: %v\n", name, xe.err)
			}
			return xe.code
		case ctx.Err() != nil:
			fmt.Fprintf(e.stderr, "winnow %s: interrupted\n", name)
			return 130
		default:
			fmt.Fprintf(e.stderr, "winnow %s: %v\n", name, err)
			return 1
		}
	}
	fmt.Fprintf(e.stderr, "winnow: unknown command %q\n\n", name)
	usage(e.stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Winnow triages seized media against known hash sets.\n\nUsage: winnow COMMAND [flags] [arguments]\n\nCommands:\n")
	for _, c := range append(commands[:len(commands):len(commands)], helpCommand) {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun \"winnow help COMMAND\" or \"winnow COMMAND -h\" for a command's flags.\n")
}

func runHelp(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		usage(e.stdout)
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(ctx, &env{stdout: e.stdout, stderr: e.stdout, getenv: e.getenv}, []string{"-h"})
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// newFlagSet returns a flag set whose usage prints the command's synopsis,
// description and flags to the given writer.
func newFlagSet(e *env, name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: winnow %s %s\n\n%s\n", name, synopsis, strings.TrimSpace(description))
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if len(names) > 0 {
			fmt.Fprintf(w, "\nFlags:\n")
			sort.Strings(names)
			for _, n := range names {
				f := fs.Lookup(n)
				typ, help := flag.UnquoteUsage(f)
				fmt.Fprintf(w, "  --%s %s\n    \t%s", n, typ, help)
				if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
					fmt.Fprintf(w, " (default %s)", f.DefValue)
				}
				fmt.Fprintln(w)
			}
		}
	}
	return fs
}

// parseArgs parses flags that may stand before, between or after the
// positional arguments ("winnow hash DIR --stats"); "--" ends flags.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
