package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/setfile"
)

const hashsetPushDescription = `
Load a compiled hash set (winnow hashset build) into a running lab service.
The file is checked here first, then streamed to the service, which imports
it; every worker matches against it within seconds, without a restart. A set
of the same name is replaced. By default the command waits until the import
is done and prints the set as JSON.

WINNOW_SERVER and WINNOW_TOKEN stand in for --server and --token.`

// NoWorkerWarning is how long hashset push waits for a worker to start an
// import before it says that none has.
const NoWorkerWarning = 15 * time.Second

const hashsetListDescription = `
List the hash sets of a running lab service: name, version, kind, state,
entries, and for a set that the workers cannot load (its file missing or
damaged; they retry, and match against the other sets meanwhile) why.

WINNOW_SERVER and WINNOW_TOKEN stand in for --server and --token.`

func runHashsetList(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "hashset list", "--server URL --token T", hashsetListDescription)
	server := fs.String("server", e.getenv("WINNOW_SERVER"), "lab service URL (default $WINNOW_SERVER)")
	token := fs.String("token", e.getenv("WINNOW_TOKEN"), "bearer token (default $WINNOW_TOKEN)")
	asJSON := fs.Bool("json", false, "one JSON object per set")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	c, err := newLabClient(*server, *token, 3)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	var resp struct {
		Sets []api.SetJSON `json:"hashsets"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/hashsets"}, &resp); err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	for _, st := range resp.Sets {
		if *asJSON {
			enc.Encode(st)
			continue
		}
		state := string(st.State)
		switch {
		case !st.Enabled:
			state += ", disabled"
		case st.LoadError != "":
			state = "LOAD FAILED: " + st.LoadError
		case st.State == triage.SetFailed:
			state += ": " + st.Error
		}
		fmt.Fprintf(e.stdout, "%-24s %-12s %-10s %10d entries  %s\n", st.Name, st.Version, st.Kind, st.Entries, state)
	}
	return nil
}

func runHashsetPush(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "hashset push", "--server URL --token T FILE", hashsetPushDescription)
	server := fs.String("server", e.getenv("WINNOW_SERVER"), "lab service URL (default $WINNOW_SERVER)")
	token := fs.String("token", e.getenv("WINNOW_TOKEN"), "bearer token (default $WINNOW_TOKEN)")
	noWait := fs.Bool("no-wait", false, "return once the file is uploaded, before the import")
	retries := fs.Int("retries", 8, "retries of a retryable failure, with backoff")
	timeout := fs.Duration("wait-timeout", 30*time.Minute, "give up waiting for the import after this long")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(paths) != 1 {
		fs.Usage()
		return errUsage
	}
	c, err := newLabClient(*server, *token, *retries)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	hs, err := setfile.ReadFile(paths[0])
	if err != nil {
		return fmt.Errorf("%s: %w", paths[0], err)
	}
	meta := hs.Meta
	q := url.Values{"version": {meta.Version}, "kind": {string(meta.Kind)}}
	if meta.Description != "" {
		q.Set("description", meta.Description)
	}
	p := "/api/v1/hashsets/" + url.PathEscape(meta.Name)
	var st api.SetJSON
	_, err = c.do(ctx, request{method: http.MethodPut, path: p, query: q, ctype: "application/octet-stream",
		body: func() (io.ReadCloser, int64, error) {
			f, err := os.Open(paths[0])
			if err != nil {
				return nil, 0, err
			}
			info, err := f.Stat()
			if err != nil {
				f.Close()
				return nil, 0, err
			}
			return f, info.Size(), nil
		}}, &st)
	if err != nil {
		return fmt.Errorf("push %s: %w", meta.Name, err)
	}
	start := time.Now()
	deadline := start.Add(*timeout)
	warned := false
	for !*noWait && st.State == triage.SetImporting {
		if time.Now().After(deadline) {
			if st.ImportStarted.IsZero() {
				return fmt.Errorf("hash set %s: no worker started importing it in %s: start winnow worker (with the same WINNOW_REDIS_ADDR as the service); the import runs when one does", meta.Name, *timeout)
			}
			return fmt.Errorf("hash set %s: still importing after %s", meta.Name, *timeout)
		}
		if !warned && st.ImportStarted.IsZero() && time.Since(start) >= NoWorkerWarning {
			warned = true
			fmt.Fprintf(e.stderr, "winnow hashset push: no worker has started importing %s after %s: is a winnow worker running, on the same Redis as the service? Still waiting (up to %s).\n",
				meta.Name, NoWorkerWarning, *timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		if _, err := c.do(ctx, request{method: http.MethodGet, path: p}, &st); err != nil {
			return err
		}
	}
	if st.State == triage.SetFailed {
		return fmt.Errorf("hash set %s: import failed: %s", meta.Name, st.Error)
	}
	return json.NewEncoder(e.stdout).Encode(st)
}
