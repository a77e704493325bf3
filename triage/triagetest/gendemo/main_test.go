package main

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/formats"
)

// TestDemoUpToDate regenerates the demo data and compares it with the
// committed copy in demo/: every seizure file byte for byte, the
// known-good set, and the digests and categories of the known set (its
// perceptual hashes follow the decoder of the build that wrote it).
func TestDemoUpToDate(t *testing.T) {
	committed := filepath.Join("..", "..", "..", "demo")
	fresh := t.TempDir()
	if err := generate(fresh); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := filepath.WalkDir(filepath.Join(fresh, "seizure"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(fresh, p)
		want, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join(committed, rel))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("demo/%s differs from what gendemo writes (run: go run ./triage/triagetest/gendemo -out demo)", rel)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Errorf("only %d demo files", n)
	}
	for _, f := range []string{"known-good.txt"} {
		a, _ := os.ReadFile(filepath.Join(fresh, f))
		b, _ := os.ReadFile(filepath.Join(committed, f))
		if !bytes.Equal(a, b) {
			t.Errorf("demo/%s is out of date", f)
		}
	}
	want, got := readSet(t, filepath.Join(fresh, "known.json")), readSet(t, filepath.Join(committed, "known.json"))
	if len(want) != len(got) {
		t.Fatalf("demo/known.json has %d entries, gendemo writes %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.MD5 != g.MD5 || w.SHA1 != g.SHA1 || w.SHA256 != g.SHA256 || w.Category != g.Category || w.Series != g.Series {
			t.Errorf("demo/known.json entry %d differs: %+v, want %+v", i, g, w)
		}
	}
	// Every seizure file is small: the demo stays well under 3 MB.
	var total int64
	filepath.WalkDir(committed, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				total += fi.Size()
			}
		}
		return nil
	})
	if total > 3<<20 {
		t.Errorf("demo/ holds %d bytes, over 3 MB", total)
	}
}

func readSet(t *testing.T, path string) []triage.Entry {
	t.Helper()
	src, err := formats.Open(path, formats.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []triage.Entry
	for {
		e, err := src.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
}
