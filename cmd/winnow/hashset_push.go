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
	deadline := time.Now().Add(*timeout)
	for !*noWait && st.State == triage.SetImporting {
		if time.Now().After(deadline) {
			return fmt.Errorf("hash set %s: still importing after %s", meta.Name, *timeout)
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
