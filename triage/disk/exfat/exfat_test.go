package exfat

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
	"github.com/winnow-forensics/winnow/triage/disk/fsys/fsystest"
)

func seed(tb testing.TB) []byte { return fsystest.Gunzip(tb, "testdata/ex.img.gz") }

func TestAgainstTSK(t *testing.T) {
	b := seed(t)
	img := filepath.Join(t.TempDir(), "ex.img")
	os.WriteFile(img, b, 0o600)
	fs, err := Open(bytes.NewReader(b), int64(len(b)), fsys.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	skip := func(p string) bool { return strings.HasPrefix(p, "$") }
	unread, extra := fsystest.Compare(t, fs, img, 0, skip)
	if len(unread) > 0 || len(extra) > 0 {
		t.Errorf("unread %v, extra %v", unread, extra)
	}
	got := fsystest.WalkAll(t, fs)
	for p, del := range map[string]bool{"DCIM/deleted.jpg": true, "old/inside.jpg": true, "frag/d.bin": false} {
		if l := got[p]; len(l) != 1 || l[0].File.Deleted != del || l[0].Err != nil || l[0].File.Times.Modified.IsZero() {
			t.Errorf("%s: %+v", p, l)
		}
	}
}

func TestUnallocated(t *testing.T) {
	b := seed(t)
	fs, err := Open(bytes.NewReader(b), int64(len(b)), fsys.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var free int64
	fs.Unallocated(context.Background(), func(e fsys.Extent) error { free += e.Len; return nil })
	if free <= 0 || free >= int64(len(b)) {
		t.Errorf("free %d of %d bytes", free, len(b))
	}
}
