package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage/disk"
	"github.com/winnow-forensics/winnow/triage/report"
)

// carvedItems are the report's carved items, by path.
func carvedItems(r *report.Report) map[string]*report.Item {
	got := map[string]*report.Item{}
	for i := range r.Items {
		if it := &r.Items[i]; it.Origin != nil && it.Origin.Carved {
			got[it.Path] = it
		}
	}
	return got
}

// TestScanCarve scans the demo seizure's EWF image with --carve: the two
// deleted photos are carved from the FAT32 free space and matched like
// the deleted files they were (the known one known); without --carve
// nothing is carved.
func TestScanCarve(t *testing.T) {
	e01 := mustDemoImage(t)
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runWinnow(t, "scan", "--hashset", filepath.Join(demoDir, "known.json"), "--carve", "--out", out, e01)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	r, _ := readReport(t, out)
	del := byPath(r, "stick.E01!/DCIM/100DEMO/_MG_0001.jpg")
	if del == nil {
		t.Fatal("deleted photo not in the report")
	}
	carved := carvedItems(r)
	var same *report.Item
	for p, it := range carved {
		if !strings.HasPrefix(p, filepath.Join(filepath.Dir(e01), "stick.E01")+"!/$Unallocated/0x") || it.Origin.Length <= 0 {
			t.Errorf("carved item %s, origin %+v", p, it.Origin)
		}
		if it.SHA256 != "" && it.SHA256 == del.SHA256 {
			same = it
		}
	}
	if len(carved) < 2 {
		t.Errorf("%d items carved, want the 2 deleted photos", len(carved))
	}
	if same == nil || same.Verdict != "known" || same.Origin.Offset != del.Origin.Offset {
		t.Errorf("deleted known photo carved as %+v, want known at offset %d", same, del.Origin.Offset)
	}
	out2 := filepath.Join(t.TempDir(), "out")
	if code, _, stderr := runWinnow(t, "scan", "--hashset", filepath.Join(demoDir, "known.json"), "--out", out2, e01); code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	if r, _ := readReport(t, out2); len(carvedItems(r)) != 0 {
		t.Errorf("carved without --carve")
	}
}

// TestScanCarveAll carves a blob of unknown type (a memory dump holding
// a known photo at a sector boundary) with --carve=all only.
func TestScanCarveAll(t *testing.T) {
	photo := mustReadFile(t, filepath.Join(demoDir, "seizure", "DCIM", "100DEMO", "IMG_0002.jpg"))
	blob := make([]byte, 3<<20)
	for i := range blob {
		blob[i] = byte(i*7 + i>>9)
	}
	copy(blob[0x10a00:], photo)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "memory.bin"), blob, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flag  string
		found bool
	}{{"--carve", false}, {"--carve=all", true}} {
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := runWinnow(t, "scan", "--hashset", filepath.Join(demoDir, "known.json"), tc.flag, "--out", out, dir)
		if code != 0 {
			t.Fatalf("%s: exit %d:\n%s", tc.flag, code, stderr)
		}
		r, _ := readReport(t, out)
		it := byPath(r, "memory.bin!/$Unallocated/0x10a00.jpg")
		if (it != nil) != tc.found || it != nil && (it.Verdict != "known" || it.Origin.Offset != 0x10a00) {
			t.Errorf("%s: carved photo %+v, want found %v and known", tc.flag, it, tc.found)
		}
	}
}

// TestWorkerCarve reads WINNOW_CARVE: the worker's disk-image kind carves
// as winnow scan --carve does.
func TestWorkerCarve(t *testing.T) {
	get := func(env map[string]string) func(string) string {
		env["WINNOW_MINIO_ACCESS_KEY"], env["WINNOW_MINIO_SECRET_KEY"] = "a", "b"
		return func(k string) string { return env[k] }
	}
	for _, tc := range []struct {
		env          string
		carve, whole bool
	}{{"", false, false}, {"unallocated", true, false}, {"all", true, true}} {
		w, err := ReadWorkerConfig(get(map[string]string{"WINNOW_CARVE": tc.env}), 2)
		if err != nil {
			t.Fatalf("WINNOW_CARVE=%s: %v", tc.env, err)
		}
		var k *disk.Kind
		for _, c := range labContainers(w.Carve) {
			if d, ok := c.(*disk.Kind); ok {
				k = d
			}
		}
		if k == nil || (k.Carve != nil) != tc.carve || k.WholeImage != tc.whole || k.Blobs != tc.whole {
			t.Errorf("WINNOW_CARVE=%s: disk kind %+v", tc.env, k)
		}
	}
	if _, err := ReadWorkerConfig(get(map[string]string{"WINNOW_CARVE": "sometimes"}), 2); err == nil || !strings.Contains(err.Error(), "WINNOW_CARVE") {
		t.Errorf("WINNOW_CARVE=sometimes: %v, want an error", err)
	}
}
