package main

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage/phone/phonetest"
)

// TestScanPhoneExtraction scans a generated UFDR holding demo pictures: a
// file with content gets the verdict it gets in the folder, with its
// device path and times; a file listed only by its SHA-256 is known by
// that digest alone, marked digest only.
func TestScanPhoneExtraction(t *testing.T) {
	known1 := mustReadFile(t, filepath.Join(demoDir, "seizure", "DCIM", "100DEMO", "IMG_0001.jpg"))
	known2 := mustReadFile(t, filepath.Join(demoDir, "seizure", "DCIM", "100DEMO", "IMG_0002.jpg"))
	sum := sha256.Sum256(known1)
	other := sha256.Sum256([]byte("a file no set knows"))
	created := time.Date(2024, 2, 1, 9, 0, 0, 0, time.UTC)
	ufdr, err := phonetest.UFDR([]phonetest.Entry{
		{Path: "/private/var/mobile/Media/DCIM/100APPLE/IMG_0002.JPG", Content: known2, Created: created, Modified: created},
		{Path: "/private/var/mobile/Media/DCIM/100APPLE/IMG_0001.JPG", SHA256: hex.EncodeToString(sum[:]), Deleted: true},
		{Path: "/private/var/mobile/Media/DCIM/100APPLE/IMG_0009.JPG", SHA256: hex.EncodeToString(other[:]), Deleted: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "in", "phone.ufdr"), ufdr)
	out := filepath.Join(dir, "out")
	code, _, stderr := runWinnow(t, "scan", "--hashset", filepath.Join(demoDir, "known.json"), "--out", out, filepath.Join(dir, "in"))
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	r, _ := readReport(t, out)
	if top := byPath(r, "phone.ufdr"); top == nil || top.Archive == nil || top.Archive.Format != "Cellebrite UFDR" || top.Archive.Members != 3 {
		t.Errorf("the UFDR's own item: %+v", top)
	}
	it := byPath(r, "phone.ufdr!/private/var/mobile/Media/DCIM/100APPLE/IMG_0002.JPG")
	if it == nil || it.Verdict != "known" || it.Origin == nil || it.Origin.DevicePath != "/private/var/mobile/Media/DCIM/100APPLE/IMG_0002.JPG" ||
		it.Origin.DigestOnly || !it.Origin.Created.Equal(created) || it.Origin.Extraction != "0 Logical" {
		t.Errorf("IMG_0002 (content): %+v", it)
	}
	it = byPath(r, "phone.ufdr!/private/var/mobile/Media/DCIM/100APPLE/IMG_0001.JPG")
	if it == nil || it.Verdict != "known" || it.Origin == nil || !it.Origin.DigestOnly || !it.Origin.Deleted || it.SHA256 == nil || *it.SHA256 != hex.EncodeToString(sum[:]) || it.MIME != "image/jpeg" {
		t.Errorf("IMG_0001 (digest only): %+v", it)
	} else if it.Origin != nil {
		t.Logf("digest only: verdict %s (%s)", it.Verdict, it.Reason)
	}
	it = byPath(r, "phone.ufdr!/private/var/mobile/Media/DCIM/100APPLE/IMG_0009.JPG")
	if it == nil || it.Verdict == "known" || it.Origin == nil || !it.Origin.DigestOnly {
		t.Errorf("IMG_0009 (unknown digest only): %+v", it)
	} else {
		t.Logf("unknown digest only: verdict %s (%s)", it.Verdict, it.Reason)
	}
	if html := string(mustReadFile(t, filepath.Join(out, "report.html"))); !strings.Contains(html, "digest only") {
		t.Errorf("report.html does not mark digest-only items")
	}
	csv := string(mustReadFile(t, filepath.Join(out, "report.csv")))
	if !strings.Contains(csv, "/private/var/mobile/Media/DCIM/100APPLE/IMG_0001.JPG") || !strings.Contains(strings.SplitN(csv, "\n", 2)[0], "device_path") {
		t.Errorf("report.csv lacks the device path")
	}
}
