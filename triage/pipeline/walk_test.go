package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mustTree makes a folder tree with links of every kind under a fresh
// temporary folder and returns the root to scan.
func mustTree(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	for _, d := range []string{"a/b", "c"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"a/b/one.txt", "a/two.txt", "c/three.txt", "z.txt"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(base, "outside.txt"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"c/to-file":    "../z.txt",
		"c/to-dir":     "../a/b",
		"c/loop":       "..",
		"c/escape":     "../../outside.txt",
		"c/escape-abs": filepath.Join(base, "outside.txt"),
		"c/broken":     "nowhere",
	}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(root, l)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(root, "c/fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// treeLines walks root and describes each entry as "path" or "path: error".
func treeLines(t *testing.T, root string, opt WalkOptions) []string {
	t.Helper()
	var got []string
	err := Walk(context.Background(), root, opt, func(e Entry) error {
		rel, _ := filepath.Rel(root, e.Path)
		switch {
		case e.Err != nil:
			got = append(got, rel+": "+firstWords(e.Err.Error()))
		case e.Info == nil:
			t.Errorf("%s: no Info and no Err", rel)
		default:
			got = append(got, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func firstWords(s string) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(3, len(f))], " ")
}

func TestWalkTreeNoFollow(t *testing.T) {
	root := mustTree(t)
	want := []string{
		"a/b/one.txt", "a/two.txt",
		"c/broken: symbolic link: not", "c/escape: symbolic link: not", "c/escape-abs: symbolic link: not",
		"c/fifo: named pipe: skipped", "c/loop: symbolic link: not", "c/three.txt",
		"c/to-dir: symbolic link: not", "c/to-file: symbolic link: not", "z.txt",
	}
	if diff := cmp.Diff(want, treeLines(t, root, WalkOptions{})); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestWalkTreeFollow(t *testing.T) {
	root := mustTree(t)
	want := []string{
		"a/b/one.txt", "a/two.txt",
		"c/broken: broken or looping", "c/escape: symbolic link to", "c/escape-abs: symbolic link to",
		"c/fifo: named pipe: skipped", "c/loop: symbolic link loop", "c/three.txt",
		"c/to-dir/one.txt", "c/to-file", "z.txt",
	}
	if diff := cmp.Diff(want, treeLines(t, root, WalkOptions{FollowSymlinks: true})); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestWalkTreeRootFile(t *testing.T) {
	root := mustTree(t)
	got := treeLines(t, filepath.Join(root, "z.txt"), WalkOptions{})
	if len(got) != 1 || got[0] != "." {
		t.Errorf("a file root: %v", got)
	}
	if err := Walk(context.Background(), filepath.Join(root, "missing"), WalkOptions{}, func(Entry) error { return nil }); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing root: %v", err)
	}
}

func TestWalkTreeDepth(t *testing.T) {
	root := t.TempDir()
	p := root
	for range 5 {
		p = filepath.Join(p, "d")
	}
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(p, "deep.txt"), nil, 0o644)
	got := treeLines(t, root, WalkOptions{MaxDepth: 3})
	if len(got) != 1 || !strings.HasPrefix(got[0], "d/d/d: folders nested more") {
		t.Errorf("got %v, want the depth error on d/d/d", got)
	}
}

func TestWalkTreeStops(t *testing.T) {
	root := mustTree(t)
	stop := errors.New("stop")
	n := 0
	err := Walk(context.Background(), root, WalkOptions{}, func(Entry) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("got %v after %d entries, want the visitor's error after 1", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	err = Walk(ctx, root, WalkOptions{}, func(Entry) error { n++; cancel(); return nil })
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Errorf("got %v after %d entries, want context.Canceled after 1", err, n)
	}
}
