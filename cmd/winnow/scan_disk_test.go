package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// mustDemoImage copies the demo seizure into a FAT32 image (mkfs.fat and
// mtools, no root), deletes two files from it, and acquires it as an EWF
// image in two segments; it returns the first segment's path.
func mustDemoImage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	img := filepath.Join(dir, "stick.img")
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	run("mkfs.fat", "-C", "-F", "32", "-n", "STICK", img, "40000")
	for _, d := range []string{"DCIM", "Downloads", "Pictures", "System", "Documents", "backup", "broken"} {
		run("mcopy", "-s", "-i", img, filepath.Join(demoDir, "seizure", d), "::/")
	}
	run("mdel", "-i", img, "::/DCIM/100DEMO/IMG_0001.jpg")
	run("mdel", "-i", img, "::/Pictures/series/beach-01.jpg")
	run("ewfacquire", "-u", "-q", "-t", filepath.Join(dir, "stick"), "-f", "encase6", "-c", "none", "-S", "20MiB", "-d", "sha1", img)
	os.Remove(img)
	return filepath.Join(dir, "stick.E01")
}

// TestScanDiskImage scans an EWF image of the demo seizure: the files in
// its FAT32 file system get the verdicts they get in the folder, deleted
// files included, with their provenance.
func TestScanDiskImage(t *testing.T) {
	e01 := mustDemoImage(t)
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runWinnow(t, "scan", "--hashset", filepath.Join(demoDir, "known.json"), "--verify-image", "--out", out, filepath.Dir(e01))
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	r, _ := readReport(t, out)
	for _, tt := range []struct {
		inner, verdict string
		deleted        bool
	}{
		{"DCIM/100DEMO/_MG_0001.jpg", "known", true}, // deleted: FAT loses the first letter of a short name
		{"DCIM/100DEMO/IMG_0002.jpg", "known", false},
		{"Pictures/series/_each-01.jpg", "new", true},
		{"Downloads/holiday.zip", "new", false},
		// Archives on the file system are expanded as in a folder.
		{"Downloads/holiday.zip!/holiday/day1.jpg", "known", false},
		{"Downloads/holiday.zip!/holiday/extras.zip!/extras/day1-again.jpg", "known", false},
		{"broken/truncated.jpg", "new", false}, // cut short: hashed from the rows it holds, partial
	} {
		// Deleted names read as TSK shows them.
		it := byPath(r, "stick.E01!/"+tt.inner)
		if it == nil {
			t.Errorf("%s: not in the report", tt.inner)
			continue
		}
		if strings.Contains(tt.inner, "!/") { // in an archive: no place of its own in the image
			if string(it.Verdict) != tt.verdict {
				t.Errorf("%s: verdict %s, want %s", tt.inner, it.Verdict, tt.verdict)
			}
			continue
		}
		if string(it.Verdict) != tt.verdict || it.Origin == nil || it.Origin.Deleted != tt.deleted || it.Origin.FS != "fat32" || it.Origin.Offset <= 0 {
			t.Errorf("%s: verdict %s, origin %+v; want %s, deleted %v", tt.inner, it.Verdict, it.Origin, tt.verdict, tt.deleted)
		}
	}
	img := byPath(r, "stick.E01")
	if img == nil || img.Archive == nil || img.Archive.Format != "ewf disk image" || img.Error != "" {
		t.Errorf("image item: %+v", img)
	}
	seg := byPath(r, "stick.E02")
	if seg == nil || seg.Archive != nil {
		t.Errorf("second segment: %+v, want an item of its own, not expanded", seg)
	}
	csv := string(mustReadFile(t, filepath.Join(out, "report.csv")))
	if !strings.Contains(strings.SplitN(csv, "\n", 2)[0], "deleted,carved,image_offset") {
		t.Errorf("report.csv header lacks the disk columns")
	}
	if !strings.Contains(string(mustReadFile(t, filepath.Join(out, "report.html"))), `<span class="tag">deleted</span>`) {
		t.Errorf("report.html does not mark deleted files")
	}
	// The VICS export says the deleted known photo was unallocated and
	// where it lies in the image.
	var vics struct {
		Value []struct {
			Media []struct {
				MediaFiles []map[string]any
			}
		}
	}
	if err := json.Unmarshal(mustReadFile(t, filepath.Join(out, "report-vics.json")), &vics); err != nil || len(vics.Value) != 1 {
		t.Fatalf("report-vics.json: %v", err)
	}
	found := false
	for _, m := range vics.Value[0].Media {
		for _, f := range m.MediaFiles {
			if f["FileName"] == "_MG_0001.jpg" && f["Unallocated"] == true && f["PhysicalLocation"].(float64) > 0 {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("report-vics.json does not record the deleted photo as unallocated with its location")
	}
}
