package main

import (
	"bytes"
	"fmt"
	"image/png"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage/disk"
	"github.com/winnow-forensics/winnow/triage/report"
	"github.com/winnow-forensics/winnow/triage/triagetest"
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

// Offsets of the cut pictures in mustCutImage's free space.
const cutPNGAt, cutJPEGAt = 4 << 20, 8 << 20

// mustCutImage returns a FAT16 image (no files) with, in its free space,
// a generated PNG and a generated JPEG each cut at 60% and followed by
// random bytes (their ends overwritten).
func mustCutImage(t *testing.T) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "cut.img")
	if out, err := exec.Command("mkfs.fat", "-C", "-F", "16", img, "16384").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.fat: %v\n%s", err, out)
	}
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var p bytes.Buffer
	if err := png.Encode(&p, triagetest.Photo(320, 240, 11)); err != nil {
		t.Fatal(err)
	}
	j := triagetest.PhotoJPEG(640, 480, 12, 90)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, pic := range []struct {
		at   int64
		data []byte
	}{{cutPNGAt, p.Bytes()}, {cutJPEGAt, j}} {
		cut := pic.data[:len(pic.data)*6/10]
		junk := make([]byte, 64<<10)
		for i := range junk {
			junk[i] = byte(rng.Uint32())
		}
		if _, err := f.WriteAt(append(slices.Clip(cut), junk...), pic.at); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

// TestScanCarveUndecodable: a PNG cut short in free space, which no
// decoder reads, is not an item but counted in the report and the
// summary line; a JPEG cut short is an item, partial.
func TestScanCarveUndecodable(t *testing.T) {
	img := mustCutImage(t)
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runWinnow(t, "scan", "--carve", "--out", out, img)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	r, _ := readReport(t, out)
	carved := carvedItems(r)
	jpg := carved[fmt.Sprintf("%s!/$Unallocated/0x%x.jpg", img, cutJPEGAt)]
	if len(carved) != 1 || jpg == nil || !jpg.Origin.Truncated || !jpg.Partial || jpg.Error != "" {
		t.Errorf("carved items %v; want the cut JPEG alone, truncated and partial (%+v)", slices.Collect(maps.Keys(carved)), jpg)
	}
	if r.Counts.CarvedUndecodable != 1 {
		t.Errorf("counts.carved_undecodable = %d, want 1 (the cut PNG)", r.Counts.CarvedUndecodable)
	}
	if !strings.Contains(stderr, "(1 carved candidates cut short and undecodable, not items)") {
		t.Errorf("summary line does not count the cut PNG:\n%s", stderr)
	}
}
