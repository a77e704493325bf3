package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/disk"
	"github.com/winnow-forensics/winnow/triage/pipeline"
)

const submitDescription = `
Upload files to a lab service (winnow serve) into one exhibit of a case,
both created if missing. Directories are recursed (symbolic links are not
followed); an archive is uploaded as one file and expanded by the workers.
Each file is recorded under its path relative to the argument's parent
("winnow submit /mnt/DCIM" records "DCIM/100/a.jpg").

Files whose content the service already stores (looked up by SHA-256) are
not uploaded again, only recorded; re-submitting the same files to the same
exhibit changes nothing. Retryable failures (service unavailable,
connection refused or reset) are retried with exponential backoff.

With --wait, it waits until every submitted item (and every item expanded
from a submitted archive) has a verdict. With --json, stdout has one JSON
object per file and, as its last line, a summary with "items" and
"verdicts" (counts of known, variant, ignorable, new and error).

WINNOW_SERVER and WINNOW_TOKEN stand in for --server and --token.

File names are shown as the service records them: control characters,
bidirectional-override characters and bytes that are not UTF-8 as %XX (the
service keeps the name as received in raw_name). Items that could not be
analysed are listed with their path and the reason ("failed_items").

Exit status: 0 when every file was submitted (and, with --wait, analysed
without error); 1 when a file could not be submitted or the wait timed out
(the summary then counts the items as they were when it stopped);
2 for a bad command line; 3 with --wait when every file was submitted but
some items could not be analysed (verdict error).`

// submitSummary is the last line of winnow submit --json.
type submitSummary struct {
	Files    int                      `json:"files"`
	Items    int                      `json:"items"`
	Uploaded int                      `json:"uploaded"`
	Stored   int                      `json:"already_stored"`
	Existing int                      `json:"existing"`
	Failed   int                      `json:"failed"`
	Bytes    int64                    `json:"bytes"`
	Verdicts map[triage.Verdict]int   `json:"verdicts"`
	States   map[triage.ItemState]int `json:"states"`
	Seconds  float64                  `json:"seconds"`
	Errors   []fileError              `json:"errors,omitempty"`
	// FailedItems are the items analysed with verdict error: path (with
	// the member's path inside an archive) and reason.
	FailedItems []fileError `json:"failed_items,omitempty"`
}

type fileError struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// fileResult is one line of winnow submit --json.
type fileResult struct {
	Path   string `json:"path"`
	ItemID int64  `json:"item_id,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Result string `json:"result"` // uploaded, already_stored, existing, failed
	Error  string `json:"error,omitempty"`
}

type submitFile struct {
	local, label string
	size         int64
}

func runSubmit(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "submit", "--server URL --token T --case C --exhibit E [flags] PATH...", submitDescription)
	server := fs.String("server", e.getenv("WINNOW_SERVER"), "lab service URL (default $WINNOW_SERVER)")
	token := fs.String("token", e.getenv("WINNOW_TOKEN"), "bearer token (default $WINNOW_TOKEN)")
	caseName := fs.String("case", "", "case name (created if missing)")
	exhibit := fs.String("exhibit", "", "exhibit name (created if missing)")
	wait := fs.Bool("wait", false, "wait until every item has a verdict")
	asJSON := fs.Bool("json", false, "JSON lines on stdout, summary last")
	conc := fs.Int("concurrency", 8, "files uploaded at once")
	retries := fs.Int("retries", 8, "retries of a retryable failure, with backoff")
	timeout := fs.Duration("wait-timeout", 24*time.Hour, "give up waiting after this long")
	noProgress := fs.Bool("no-progress", false, "no progress bar (it is shown only on a terminal)")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *caseName == "" || *exhibit == "" || len(paths) == 0 || *conc < 1 {
		fs.Usage()
		return errUsage
	}
	c, err := newLabClient(*server, *token, *retries)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	start := time.Now()
	files, walkErrs := collectFiles(ctx, paths)
	ep := "/api/v1/cases/" + url.PathEscape(*caseName)
	if _, err := c.do(ctx, request{method: "PUT", path: ep}, nil); err != nil {
		return fmt.Errorf("case %s: %w", *caseName, err)
	}
	ep += "/exhibits/" + url.PathEscape(*exhibit)
	if _, err := c.do(ctx, request{method: "PUT", path: ep}, nil); err != nil {
		return fmt.Errorf("exhibit %s: %w", *exhibit, err)
	}

	sum := submitSummary{Files: len(files) + len(walkErrs), Verdicts: map[triage.Verdict]int{}, States: map[triage.ItemState]int{}}
	var mu sync.Mutex
	enc := json.NewEncoder(e.stdout)
	report := func(r fileResult) {
		mu.Lock()
		defer mu.Unlock()
		switch r.Result {
		case "uploaded":
			sum.Uploaded++
		case "already_stored":
			sum.Stored++
		case "existing":
			sum.Existing++
		case "failed":
			sum.Failed++
			if len(sum.Errors) < 20 {
				sum.Errors = append(sum.Errors, fileError{r.Path, r.Error})
			}
		}
		if *asJSON {
			enc.Encode(r)
		}
	}
	for _, we := range walkErrs {
		report(we)
	}
	var bar *progressbar.ProgressBar
	if e.stderrTerminal && !*noProgress {
		var total int64
		for _, f := range files {
			total += f.size
		}
		bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(e.stderr), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription("uploading"), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(200*time.Millisecond))
	}
	ids := map[int64]bool{}
	var bytes atomic.Int64
	work := make(chan submitFile)
	var wg sync.WaitGroup
	for range *conc {
		wg.Go(func() {
			for f := range work {
				r := submitOne(ctx, c, ep, f)
				if r.ItemID != 0 {
					mu.Lock()
					ids[r.ItemID] = true
					mu.Unlock()
				}
				if r.Result != "failed" {
					bytes.Add(f.size)
				}
				if bar != nil {
					bar.Add64(f.size)
				}
				report(r)
			}
		})
	}
	for _, f := range files {
		select {
		case work <- f:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	if bar != nil {
		bar.Finish()
	}
	sum.Bytes = bytes.Load()
	if ctx.Err() != nil {
		return ctx.Err()
	}

	// Count the items: with --wait, until every one is final.
	wctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	var waitErr error
	var items []api.ItemJSON
	for {
		got, final, err := exhibitItems(wctx, c, ep, ids)
		if err != nil && wctx.Err() == nil {
			waitErr = err
			break
		}
		if err == nil {
			items = got
		}
		if err == nil && (!*wait || final) {
			break
		}
		if bar == nil && !*asJSON && e.stderrTerminal {
			fmt.Fprintf(e.stderr, "\r\x1b[Kwaiting: %d items", len(items))
		}
		select {
		case <-wctx.Done():
		case <-time.After(time.Second):
		}
		if wctx.Err() != nil {
			// Report what there is now, not what the last poll saw.
			lctx, lcancel := context.WithTimeout(ctx, 30*time.Second)
			if got, _, err := exhibitItems(lctx, c, ep, ids); err == nil {
				items = got
			}
			lcancel()
			done := 0
			for _, it := range items {
				if it.State.Final() {
					done++
				}
			}
			waitErr = fmt.Errorf("stopped waiting after %s (--wait-timeout): %d of %d items have a verdict, %d are still received or processing (they go on; winnow submit again with the same files waits for them)",
				*timeout, done, len(items), len(items)-done)
			break
		}
	}
	sum.Items = len(items)
	for _, it := range items {
		sum.States[it.State]++
		if it.Verdict != "" {
			sum.Verdicts[it.Verdict]++
		}
		if it.State == triage.StateFailed {
			p := it.Path
			if it.InnerPath != "" {
				p += "!/" + it.InnerPath
			}
			sum.FailedItems = append(sum.FailedItems, fileError{Path: p, Error: it.ErrorCode + ": " + string(it.Error)})
		}
	}
	for _, v := range triage.Verdicts {
		sum.Verdicts[v] += 0
	}
	sum.Seconds = time.Since(start).Seconds()
	if *asJSON {
		enc.Encode(sum)
	} else {
		fmt.Fprintf(e.stdout, "%d files: %d uploaded, %d already stored, %d already recorded, %d failed; %d items",
			sum.Files, sum.Uploaded, sum.Stored, sum.Existing, sum.Failed, sum.Items)
		vs := []string{}
		for _, v := range triage.Verdicts {
			vs = append(vs, fmt.Sprintf("%s %d", v, sum.Verdicts[v]))
		}
		fmt.Fprintf(e.stdout, " (%s)\n", joinComma(vs))
		for _, fe := range sum.Errors {
			fmt.Fprintf(e.stderr, "%s: %s\n", fe.Path, fe.Error)
		}
		for _, fe := range sum.FailedItems {
			fmt.Fprintf(e.stderr, "%s: not analysed: %s\n", fe.Path, fe.Error)
		}
	}
	switch {
	case sum.Failed > 0:
		return &exitError{code: 1, err: fmt.Errorf("%d of %d files could not be submitted", sum.Failed, sum.Files)}
	case waitErr != nil:
		return &exitError{code: 1, err: waitErr}
	case *wait && sum.Verdicts[triage.VerdictError] > 0:
		return &exitError{code: 3, err: fmt.Errorf("%d items could not be analysed (verdict error)", sum.Verdicts[triage.VerdictError])}
	}
	return nil
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// collectFiles lists the files under paths, with their labels, and what
// cannot be submitted: symbolic links (not followed), special files and
// unreadable entries, as failed results.
func collectFiles(ctx context.Context, paths []string) ([]submitFile, []fileResult) {
	var files []submitFile
	var errs []fileResult
	for _, p := range paths {
		p = filepath.Clean(p)
		parent := filepath.Dir(p)
		label := func(path string) string {
			l, _ := filepath.Rel(parent, path)
			return filepath.ToSlash(l)
		}
		err := pipeline.Walk(ctx, p, pipeline.WalkOptions{}, func(en pipeline.Entry) error {
			if en.Err != nil {
				shown, _ := triage.EscapeName(label(en.Path))
				errs = append(errs, fileResult{Path: shown, Result: "failed", Error: triage.ErrorMessage(en.Err)})
				return nil
			}
			files = append(files, submitFile{local: en.Path, label: label(en.Path), size: en.Info.Size()})
			return nil
		})
		if err != nil {
			errs = append(errs, fileResult{Path: label(p), Result: "failed", Error: err.Error()})
		}
		// A multi-segment image named by its first segment goes up whole:
		// its later segments are read with it.
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			for _, seg := range disk.Segments(p) {
				if info, err := os.Stat(seg); err == nil {
					files = append(files, submitFile{local: seg, label: label(seg), size: info.Size()})
				}
			}
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].label < files[j].label })
	files = slices.CompactFunc(files, func(a, b submitFile) bool { return a.local == b.local })
	return files, errs
}

// submitOne records one file: skipped upload when the service already
// stores its content, else streamed from disk.
func submitOne(ctx context.Context, c *labClient, ep string, f submitFile) fileResult {
	shown, _ := triage.EscapeName(f.label)
	r := fileResult{Path: shown, Result: "failed"}
	sum, err := fileSHA256(f.local)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.SHA256 = sum.String()
	q := url.Values{"path": {f.label}, "sha256": {r.SHA256}}
	// One request: with Expect: 100-continue, the service answers before
	// the body is sent when it already stores this content.
	var it api.ItemJSON
	req := request{method: http.MethodPut, path: ep + "/items", query: q, ctype: "application/octet-stream", expect: true,
		body: func() (io.ReadCloser, int64, error) {
			fh, err := os.Open(f.local)
			if err != nil {
				return nil, 0, err
			}
			st, err := fh.Stat()
			if err != nil {
				fh.Close()
				return nil, 0, err
			}
			return fh, st.Size(), nil
		}}
	if _, err := c.do(ctx, req, &it); err != nil {
		r.Error = err.Error()
		return r
	}
	r.ItemID = it.ID
	switch it.UploadResult {
	case "existing":
		r.Result = "existing"
	case "stored":
		r.Result = "already_stored"
	default:
		r.Result = "uploaded"
	}
	return r
}

func fileSHA256(path string) (triage.SHA256, error) {
	var sum triage.SHA256
	f, err := os.Open(path)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, f, make([]byte, 1<<20)); err != nil {
		return sum, err
	}
	h.Sum(sum[:0])
	return sum, nil
}

// exhibitItems returns the submitted items and the items expanded from
// them, and whether all are final.
func exhibitItems(ctx context.Context, c *labClient, ep string, ids map[int64]bool) ([]api.ItemJSON, bool, error) {
	mine := map[int64]bool{}
	for id := range ids {
		mine[id] = true
	}
	var out []api.ItemJSON
	final := true
	for after := int64(0); ; {
		var page struct {
			Items     []api.ItemJSON `json:"items"`
			NextAfter int64          `json:"next_after"`
		}
		q := url.Values{"after": {itoa(after)}, "limit": {"1000"}}
		if _, err := c.do(ctx, request{method: http.MethodGet, path: ep + "/items", query: q}, &page); err != nil {
			return nil, false, err
		}
		for _, it := range page.Items {
			// Children have larger ids than their parents, so one pass in
			// id order finds every descendant.
			if mine[it.ID] || (it.ParentID != 0 && mine[it.ParentID]) {
				mine[it.ID] = true
				out = append(out, it)
				if !it.State.Final() {
					final = false
				}
			}
		}
		if page.NextAfter == 0 {
			break
		}
		after = page.NextAfter
	}
	return out, final, nil
}
