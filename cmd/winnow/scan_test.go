package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/formats"
	"github.com/winnow-forensics/winnow/triage/report"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// demoDir is the committed demo data.
var demoDir = filepath.Join("..", "..", "demo")

// readReport decodes DIR/report.json, checking it is valid JSON with the
// documented top-level fields.
func readReport(t *testing.T, dir string) (*report.Report, map[string]any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return &r, m
}

func byPath(r *report.Report, suffix string) *report.Item {
	for i := range r.Items {
		if strings.HasSuffix(r.Items[i].Path, suffix) {
			return &r.Items[i]
		}
	}
	return nil
}

func TestScanDemo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runWinnow(t, "scan", "--hashset", filepath.Join(demoDir, "known.json"),
		"--hashset", filepath.Join(demoDir, "known-good.txt"), "--out", out, "--stats", "--case", "DEMO-1", filepath.Join(demoDir, "seizure"))
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("scan wrote to stdout: %q", stdout)
	}
	if want := "report: " + filepath.Join(out, "report.html"); !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	for _, want := range []string{"items/s", "grouping", "10 known, 1 variant, 3 ignorable"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	r, raw := readReport(t, out)
	for _, k := range []string{"format", "format_version", "tool", "complete", "started", "finished", "inputs", "hash_sets", "options", "counts", "items", "duplicates", "groups"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("report.json lacks %q", k)
		}
	}
	for _, it := range raw["items"].([]any) {
		for _, k := range []string{"id", "path", "outer_path", "size", "sha256", "verdict", "reason", "matches", "error"} {
			if _, ok := it.(map[string]any)[k]; !ok {
				t.Errorf("item lacks %q: %v", k, it)
			}
		}
	}
	if !r.Complete || len(r.HashSets) != 2 || r.HashSets[1].Kind != string(triage.SetKindKnownGood) || r.HashSets[0].FileSHA256 == "" {
		t.Errorf("metadata: complete %v, sets %+v", r.Complete, r.HashSets)
	}

	tests := []struct {
		path, verdict, category string
	}{
		{"seizure/DCIM/100DEMO/IMG_0001.jpg", "known", "vic-us:1"},
		{"seizure/Pictures/copies/IMG_0001 (copy).jpg", "known", "vic-us:1"},
		{"seizure/Downloads/holiday.zip!/holiday/day1.jpg", "known", "vic-us:1"},
		{"seizure/Downloads/holiday.zip!/holiday/extras.zip!/extras/day1-again.jpg", "known", "vic-us:1"},
		{"seizure/backup/old-phone.tar.gz!/sdcard/DCIM/IMG_0101.jpg", "known", "vic-us:3"},
		// Edited copies: the default rules call a PDQ match within 16, or
		// PDQ and pHash agreeing on one entry, certain (known); a match
		// that only a borderline agreement finds is a variant.
		{"seizure/Pictures/edited/resized.jpg", "known", "vic-us:2"},
		{"seizure/Pictures/edited/recompressed.jpg", "known", "vic-us:2"},
		{"seizure/Pictures/edited/flipped.jpg", "known", "vic-us:1"},
		{"seizure/Pictures/edited/letterboxed.jpg", "known", "vic-us:1"},
		{"seizure/Pictures/edited/cropped.jpg", "variant", "vic-us:3"},
		{"seizure/Pictures/series/beach-01.jpg", "new", ""},
		{"seizure/DCIM/100DEMO/IMG_0003.jpg", "new", ""},
		{"seizure/System/wallpaper.jpg", "ignorable", ""},
		{"seizure/Downloads/holiday.zip!/holiday/readme.txt", "ignorable", ""},
		{"seizure/System/icon.png", "ignorable", ""},
		{"seizure/broken/truncated.jpg", "new", ""}, // cut short: hashed from the rows it holds, partial
		{"seizure/broken/truncated.png", "error", ""},
		{"seizure/Documents/not-really.jpg", "new", ""},
	}
	for _, tt := range tests {
		it := byPath(r, tt.path)
		if it == nil {
			t.Errorf("%s: not in the report", tt.path)
			continue
		}
		if string(it.Verdict) != tt.verdict || it.Category != tt.category {
			t.Errorf("%s: verdict %s category %q (%s), want %s %q", tt.path, it.Verdict, it.Category, it.Reason, tt.verdict, tt.category)
		}
	}
	if it := byPath(r, "seizure/broken/truncated.jpg"); it == nil || !it.Partial || it.PDQ == "" {
		t.Errorf("cut-short JPEG: %+v, want partial perceptual hashes", it)
	}
	// The mirrored copy is found through a dihedral (transformed) PDQ hash.
	flipped := byPath(r, "flipped.jpg")
	dihedral := false
	for _, m := range flipped.Matches {
		dihedral = dihedral || m.Algorithm == "pdq" && m.Transform != ""
	}
	if !dihedral {
		t.Errorf("flipped.jpg: no dihedral PDQ match: %+v", flipped.Matches)
	}
	nested := byPath(r, "extras.zip!/extras/night.jpg")
	if nested.OuterPath != filepath.Join(demoDir, "seizure/Downloads/holiday.zip") || nested.InnerPath != "holiday/extras.zip!/extras/night.jpg" {
		t.Errorf("nested member paths: outer %q inner %q", nested.OuterPath, nested.InnerPath)
	}
	if z := byPath(r, "holiday.zip"); z.Archive == nil || z.Archive.Format != "zip" || z.Archive.Members != 4 {
		t.Errorf("holiday.zip archive info: %+v", z.Archive)
	}

	// Identical files are stacked, near duplicates grouped.
	one, copy := byPath(r, "IMG_0001.jpg"), byPath(r, "IMG_0001 (copy).jpg")
	if one.Stack == 0 || one.Stack != copy.Stack {
		t.Errorf("IMG_0001 and its copy not stacked: %d, %d", one.Stack, copy.Stack)
	}
	beach := byPath(r, "beach-01.jpg")
	g := r.Groups[beach.Group-1]
	if g.Size != 6 || g.Distinct != 5 {
		t.Errorf("beach series: %+v, want 6 items, 5 distinct", g)
	}
	n1 := byPath(r, "DCIM/100DEMO/IMG_0003.jpg")
	for _, p := range []string{"extras/night.jpg", "IMG_0003-small.jpg"} {
		if it := byPath(r, p); it.Group != n1.Group {
			t.Errorf("%s is in series %d, want %d with IMG_0003 (rotated or resized copy)", p, it.Group, n1.Group)
		}
	}
	if r.Counts.Archives != 3 || r.Counts.Items != len(r.Items) || r.Counts.Verdicts["variant"] != 1 {
		t.Errorf("counts: %+v", r.Counts)
	}

	// report.csv: a header and one row per item.
	f, _ := os.Open(filepath.Join(out, "report.csv"))
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != len(r.Items)+1 {
		t.Errorf("report.csv: %d rows, %v", len(rows), err)
	}
	// report.html: self-contained, with thumbnails.
	page, _ := os.ReadFile(filepath.Join(out, "report.html"))
	if regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:|//)|<script|<link`).Match(page) {
		t.Errorf("report.html refers outside itself")
	}
	if n := bytes.Count(page, []byte(`<img src="data:image/jpeg;base64,`)); n < 5 {
		t.Errorf("report.html has %d thumbnails, want one per variant and new series", n)
	}
	// The VICS export reads back with the known items' hashes and categories.
	src, err := formats.Open(filepath.Join(out, "report-vics.json"), formats.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	cats := map[triage.MD5]triage.Category{}
	for {
		e, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		cats[e.MD5] = e.Category
	}
	ks, err := formats.Open(filepath.Join(demoDir, "known.json"), formats.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	present := 0
	for {
		e, err := ks.Next()
		if err == io.EOF {
			break
		}
		if c, ok := cats[e.MD5]; ok {
			present++
			if c != e.Category {
				t.Errorf("VICS export: %s has category %v, the known set says %v", e.MD5, c, e.Category)
			}
		}
	}
	if present != 3 { // K1, K2, K4 are on the seizure; K3 only as edited copies
		t.Errorf("VICS export holds %d of the known set's images, want 3", present)
	}
	if !strings.Contains(string(mustReadFile(t, filepath.Join(out, "report-vics.json"))), `"CaseNumber": "DEMO-1"`) {
		t.Errorf("VICS export lacks the case number")
	}
	// A second scan into the same folder is refused without --force.
	if code, _, stderr := runWinnow(t, "scan", "--out", out, filepath.Join(demoDir, "seizure", "System")); code != 1 || !strings.Contains(stderr, "--force") {
		t.Errorf("rescan into a used --out: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runWinnow(t, "scan", "--force", "--out", out, filepath.Join(demoDir, "seizure", "System")); code != 0 {
		t.Errorf("rescan with --force: exit %d, %q", code, stderr)
	}
}

func mustReadFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestScanInterrupted cancels a scan after its third item: it stops, still
// writes every report file, marks the report incomplete and exits 130.
func TestScanInterrupted(t *testing.T) {
	out := t.TempDir()
	var errb bytes.Buffer
	e := &env{stdout: io.Discard, stderr: &errb, getenv: func(string) string { return "" }}
	cfg, paths, err := parseScanArgs(e, []string{"--workers", "2", "--hashset", filepath.Join(demoDir, "known.json"), "--out", out, filepath.Join(demoDir, "seizure")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg.afterItem = func(n int64) {
		if n == 3 {
			cancel()
		}
	}
	done := make(chan error)
	go func() { done <- scan(ctx, e, cfg, paths) }()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("interrupted scan did not finish")
	}
	var xe *exitError
	if !errors.As(err, &xe) || xe.code != 130 {
		t.Fatalf("scan returned %v, want exit status 130; stderr:\n%s", err, errb.String())
	}
	r, _ := readReport(t, out)
	if r.Complete || !strings.Contains(r.IncompleteReason, "interrupted") {
		t.Errorf("complete %v, reason %q; want an incomplete report saying why", r.Complete, r.IncompleteReason)
	}
	if len(r.Items) < 3 || len(r.Items) >= 36 {
		t.Errorf("%d items in the partial report, want at least 3 and fewer than all 36", len(r.Items))
	}
	for _, f := range []string{"report.csv", "report.html", "report-vics.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("partial scan: %v", err)
		}
	}
	if !strings.Contains(string(mustReadFile(t, filepath.Join(out, "report.html"))), "Incomplete scan") {
		t.Errorf("report.html does not say the scan is incomplete")
	}
}

// TestScanHostile scans hostile inputs: each becomes a per-item error and
// the scan completes.
func TestScanHostile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	photo := triagetest.PhotoJPEG(120, 90, 9, 80)
	writeFile(t, filepath.Join(in, "bomb.zip"), zipBytes(t, map[string][]byte{"zeros.bin": make([]byte, 17<<20), "ok.jpg": photo}))
	writeFile(t, filepath.Join(in, "traversal.zip"), zipBytes(t, map[string][]byte{"../../../etc/evil.jpg": photo, `C:\Windows\x.jpg`: photo}))
	deep := zipBytes(t, map[string][]byte{"leaf.jpg": photo})
	for range 4 {
		deep = zipBytes(t, map[string][]byte{"level.zip": deep})
	}
	writeFile(t, filepath.Join(in, "deep.zip"), deep)
	writeFile(t, filepath.Join(in, "loop", "a.jpg"), photo)
	if err := os.Symlink("..", filepath.Join(in, "loop", "back")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(in, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(in, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, _, stderr := runWinnow(t, "scan", "--out", out, "--follow-symlinks", "--max-archive-ratio", "10", "--max-archive-depth", "3", in)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	r, _ := readReport(t, out)
	errs := map[string]string{}
	for _, it := range r.Items {
		if it.Error != "" {
			errs[strings.TrimPrefix(it.Path, in+"/")] = string(it.Error)
		}
	}
	want := map[string]string{
		"bomb.zip!/zeros.bin":                       "zip bomb",
		"deep.zip!/level.zip!/level.zip!/level.zip": "not expanded",
		"loop/back": "loop",
		"escape":    "outside the scanned folder",
		"fifo":      "named pipe",
	}
	for p, w := range want {
		if !strings.Contains(errs[p], w) {
			t.Errorf("%s: error %q, want one mentioning %q (all errors: %v)", p, errs[p], w, errs)
		}
	}
	if it := byPath(r, "bomb.zip!/ok.jpg"); it == nil || it.Error != "" {
		t.Errorf("the good member of bomb.zip: %+v", it)
	}
	for _, p := range []string{"traversal.zip!/etc/evil.jpg", "traversal.zip!/Windows/x.jpg"} {
		if it := byPath(r, p); it == nil || it.RawName == "" || it.Verdict != "new" {
			t.Errorf("%s: %+v; want the member under its sanitised name, raw name kept", p, it)
		}
	}
}

func zipBytes(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestScanCommandLine(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "in", "a.jpg"), triagetest.PhotoJPEG(100, 80, 1, 80))
	in := filepath.Join(dir, "in")
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no out", []string{"scan", in}, 2, "need --out"},
		{"no path", []string{"scan", "--out", filepath.Join(dir, "o1")}, 2, "need --out"},
		{"missing set", []string{"scan", "--hashset", filepath.Join(dir, "nope.wset"), "--out", filepath.Join(dir, "o2"), in}, 1, "cannot read"},
		{"bad set", []string{"scan", "--hashset", filepath.Join(dir, "in", "a.jpg"), "--out", filepath.Join(dir, "o3"), in}, 1, "hashset"},
		{"bad limit", []string{"scan", "--max-archive-depth", "0", "--out", filepath.Join(dir, "o4"), in}, 2, "archive limits"},
		{"missing path", []string{"scan", "--out", filepath.Join(dir, "o5"), in, filepath.Join(dir, "missing")}, 1, "missing"},
		{"no set", []string{"scan", "--out", filepath.Join(dir, "o6"), in}, 0, "no --hashset"},
		{"out inside input", []string{"scan", "--out", filepath.Join(in, "report"), in}, 2, "inside the scanned folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runWinnow(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.msg) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.msg)
			}
		})
	}
	// The path that exists is still reported when another is missing.
	r, _ := readReport(t, filepath.Join(dir, "o5"))
	if len(r.Items) != 1 {
		t.Errorf("%d items, want the one readable file", len(r.Items))
	}
	code, out, _ := runWinnow(t, "help", "scan")
	if code != 0 || !strings.Contains(out, "--hashset") || !strings.Contains(out, "report.json") {
		t.Errorf("help scan: %d %q", code, out)
	}
}

func TestProgressBar(t *testing.T) {
	tests := []struct {
		done, total int64
		want        string
	}{
		{0, 100, "[>         ]   0%"},
		{50, 100, "[=====>    ]  50%"},
		{100, 100, "[==========] 100%"},
		{5, -1, "[··········]   ?%"},
	}
	for _, tt := range tests {
		if got := progressBar(tt.done, tt.total, 10); got != tt.want {
			t.Errorf("progressBar(%d, %d) = %q, want %q", tt.done, tt.total, got, tt.want)
		}
	}
	if got := eta(25, 100, 10*time.Second); got != "30s" {
		t.Errorf("eta = %q, want 30s", got)
	}
	if got := eta(0, 100, 10*time.Second); got != "" {
		t.Errorf("eta with nothing done = %q, want none", got)
	}
}

// TestScanRules checks that --rules reaches both the Matcher and the
// verdicts: with nothing perceptual called certain, the edited copies the
// default rules call known become variants; the trimmed view turned off
// loses the letterboxed copy; a bad file is a usage error naming the field.
func TestScanRules(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.json")
	os.WriteFile(rules, []byte(`{"default": {"pdq": {"certain": -1}, "known_when_agree": [], "trimmed": false}}`), 0o644)
	out := filepath.Join(dir, "out")
	code, _, stderr := runWinnow(t, "scan", "--rules", rules, "--hashset", filepath.Join(demoDir, "known.json"),
		"--out", out, filepath.Join(demoDir, "seizure"))
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	r, raw := readReport(t, out)
	for _, tt := range []struct{ path, verdict string }{
		{"Pictures/edited/resized.jpg", "variant"},
		{"Pictures/edited/recompressed.jpg", "variant"},
		{"Pictures/edited/flipped.jpg", "variant"},
		{"DCIM/100DEMO/IMG_0001.jpg", "known"}, // exact digests are always known
	} {
		if it := byPath(r, tt.path); it == nil || string(it.Verdict) != tt.verdict {
			t.Errorf("%s: %+v, want %s", tt.path, it, tt.verdict)
		}
	}
	if it := byPath(r, "Pictures/edited/letterboxed.jpg"); it == nil || it.Verdict == "known" {
		t.Errorf("letterboxed.jpg with trimmed views off: %+v", it)
	}
	opts, _ := raw["options"].(map[string]any)
	if rr, _ := opts["rules"].(map[string]any); rr == nil || rr["default"] == nil {
		t.Errorf("report options.rules = %v, want the rules used", opts["rules"])
	}

	os.WriteFile(rules, []byte(`{"default": {"pdq": {"radius": 300}}}`), 0o644)
	code, _, stderr = runWinnow(t, "scan", "--rules", rules, "--out", filepath.Join(dir, "out2"), filepath.Join(demoDir, "seizure"))
	if code != 2 || !strings.Contains(stderr, "pdq.radius") {
		t.Errorf("bad rules: exit %d, stderr %q; want 2 naming pdq.radius", code, stderr)
	}
}
