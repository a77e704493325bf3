package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// runWinnow runs a command line in-process and returns its exit status,
// stdout and stderr.
func runWinnow(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code := run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func decodeLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("output line is not JSON: %q: %v", sc.Text(), err)
		}
		recs = append(recs, m)
	}
	return recs
}

func TestHashCommand(t *testing.T) {
	dir := t.TempDir()
	var p bytes.Buffer
	png.Encode(&p, triagetest.Photo(120, 80, 1))
	writeFile(t, filepath.Join(dir, "a", "photo.jpg"), triagetest.PhotoJPEG(200, 150, 2, 85))
	writeFile(t, filepath.Join(dir, "a", "photo.png"), p.Bytes())
	writeFile(t, filepath.Join(dir, "b", "notes.txt"), []byte("abc"))
	writeFile(t, filepath.Join(dir, "b", "broken.png"), p.Bytes()[:p.Len()/2])
	writeFile(t, filepath.Join(dir, "c", "empty"), nil)
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "c", "link")); err != nil {
		t.Fatal(err)
	}

	code, out, stderr := runWinnow(t, "hash", dir, "--stats", "--workers", "3")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	recs := decodeLines(t, out)
	var paths []string
	byName := map[string]map[string]any{}
	for _, r := range recs {
		p := r["path"].(string)
		paths = append(paths, strings.TrimPrefix(p, dir+"/"))
		byName[filepath.Base(p)] = r
		for _, k := range []string{"path", "size", "md5", "sha1", "sha256", "mime", "width", "height", "pdq", "pdq_quality", "phash", "dhash", "error"} {
			if _, ok := r[k]; !ok {
				t.Errorf("%s: field %q missing", p, k)
			}
		}
	}
	wantPaths := "a/photo.jpg a/photo.png b/broken.png b/notes.txt c/empty c/link"
	if got := strings.Join(paths, " "); got != wantPaths {
		t.Errorf("paths in output order = %q, want %q (walk order)", got, wantPaths)
	}
	if r := byName["notes.txt"]; r["sha256"] != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" || r["error"] != nil || r["pdq"] != nil {
		t.Errorf("notes.txt: %v", r)
	}
	if r := byName["photo.jpg"]; r["mime"] != "image/jpeg" || r["width"].(float64) != 200 || len(r["pdq"].(string)) != 64 || len(r["phash"].(string)) != 16 {
		t.Errorf("photo.jpg: %v", r)
	}
	if r := byName["broken.png"]; r["error"] == nil || r["sha256"] == nil || r["pdq"] != nil {
		t.Errorf("broken.png: want an error with digests and no pdq: %v", r)
	}
	if r := byName["link"]; r["error"] == nil || !strings.Contains(r["error"].(string), "not followed") {
		t.Errorf("symlink: want a not-followed error: %v", r)
	}
	if r := byName["empty"]; r["md5"] != "d41d8cd98f00b204e9800998ecf8427e" {
		t.Errorf("empty file: %v", r)
	}
	for _, want := range []string{"files/s", "MB/s", "decode", "digest"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("--stats output lacks %q:\n%s", want, stderr)
		}
	}
}

func TestHashAlgoFlag(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "p.jpg")
	writeFile(t, f, triagetest.PhotoJPEG(100, 100, 3, 80))
	code, out, stderr := runWinnow(t, "hash", "--algo", "sha256,pdq-dihedral,ahash", f)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := decodeLines(t, out)[0]
	if r["md5"] != nil || r["sha256"] == nil || r["phash"] != nil || r["ahash"] == nil {
		t.Errorf("--algo not honoured: %v", r)
	}
	if d, ok := r["pdq_dihedral"].([]any); !ok || len(d) != 8 || d[0] != r["pdq"] {
		t.Errorf("pdq_dihedral: %v", r["pdq_dihedral"])
	}

	if code, _, stderr := runWinnow(t, "hash", "--algo", "md6", f); code != 2 || !strings.Contains(stderr, "unknown algorithm") {
		t.Errorf("bad --algo: exit %d, %q", code, stderr)
	}
	if code, _, _ := runWinnow(t, "hash"); code != 2 {
		t.Errorf("no path: exit %d, want 2", code)
	}
	if code, out, stderr := runWinnow(t, "hash", filepath.Join(dir, "missing"), f); code != 1 || len(decodeLines(t, out)) != 1 || !strings.Contains(stderr, "missing") {
		t.Errorf("missing path: exit %d, stderr %q; want 1 and the other file hashed", code, stderr)
	}
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := runWinnow(t, "version")
	if code != 0 || !strings.Contains(out, "winnow ") || !strings.Contains(out, "jpeg:") {
		t.Errorf("version: %d %q", code, out)
	}
	code, out, _ = runWinnow(t, "help")
	if code != 0 || !strings.Contains(out, "hash") {
		t.Errorf("help: %d %q", code, out)
	}
	code, out, _ = runWinnow(t, "help", "hash")
	if code != 0 || !strings.Contains(out, "--algo") {
		t.Errorf("help hash: %d %q", code, out)
	}
	if code, _, _ := runWinnow(t, "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}

// TestHashInterrupted cancels a run midway: it must end promptly with exit
// status 130, and every line it printed must be a complete record.
func TestHashInterrupted(t *testing.T) {
	dir := t.TempDir()
	for i := range 16 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("p%02d.jpg", i)), triagetest.PhotoJPEG(200, 150, uint64(i), 80))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	// Interrupt as soon as the first record reaches stdout.
	stdout := writerFunc(func(p []byte) (int, error) { cancel(); return out.Write(p) })
	e := &env{stdout: stdout, stderr: &errb, getenv: func(string) string { return "" }}
	done := make(chan int)
	go func() { done <- run(ctx, e, []string{"hash", "--workers", "2", dir}) }()
	select {
	case code := <-done:
		if code != 130 {
			t.Errorf("exit %d, want 130; stderr %q", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("interrupted run did not finish")
	}
	recs := decodeLines(t, out.String())
	if len(recs) > 16 {
		t.Errorf("%d records for 16 files", len(recs))
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
