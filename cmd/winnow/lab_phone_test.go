package main

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/triage/phone/phonetest"
)

// TestLabPhoneExtraction submits a generated UFDR: the zip is one piece
// of evidence, its files become child items named by their device paths
// with their origin, and a file listed only by its SHA-256 is recorded
// without content and known by that digest.
func TestLabPhoneExtraction(t *testing.T) {
	l := startLab(t, labEnv(t))
	set := filepath.Join(t.TempDir(), "known.wset")
	if code, _, errs := runWinnow(t, "hashset", "build", "--out", set, filepath.Join(demoDir, "known.json")); code != 0 {
		t.Fatalf("hashset build: %s", errs)
	}
	env := map[string]string{"WINNOW_SERVER": l.URL, "WINNOW_TOKEN": l.Token}
	if code, out, errs := runWinnowEnv(t, env, "hashset", "push", set); code != 0 {
		t.Fatalf("hashset push: %d %s %s", code, out, errs)
	}
	waitFor(t, 10*time.Second, "worker loads the pushed set", func() bool { return len(l.Worker.w.Matcher().Sets()) == 1 })

	known1 := mustReadFile(t, filepath.Join(demoDir, "seizure", "DCIM", "100DEMO", "IMG_0001.jpg"))
	known2 := mustReadFile(t, filepath.Join(demoDir, "seizure", "DCIM", "100DEMO", "IMG_0002.jpg"))
	sum := sha256.Sum256(known1)
	ufdr, err := phonetest.UFDR([]phonetest.Entry{
		{Path: "/private/var/mobile/Media/DCIM/100APPLE/IMG_0002.JPG", Content: known2},
		{Path: "/private/var/mobile/Media/DCIM/100APPLE/IMG_0001.JPG", SHA256: hex.EncodeToString(sum[:]), Deleted: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "phone.ufdr")
	writeFile(t, p, ufdr)
	code, out, errs := runWinnowEnv(t, env, "submit", "--case", "phone", "--exhibit", "iphone", "--wait", "--json", p)
	if code != 0 {
		t.Fatalf("submit: exit %d\n%s\n%s", code, out, errs)
	}
	var page struct{ Items []api.ItemJSON }
	l.call(t, "", "GET", "/api/v1/cases/phone/exhibits/iphone/items?limit=1000", nil, &page)
	byInner := map[string]api.ItemJSON{}
	var top *api.ItemJSON
	for i, it := range page.Items {
		if it.InnerPath == "" {
			top = &page.Items[i]
		}
		byInner[it.InnerPath] = it
	}
	if top == nil || top.Error != "" || len(page.Items) != 3 {
		t.Fatalf("items %+v", page.Items)
	}
	it := byInner["private/var/mobile/Media/DCIM/100APPLE/IMG_0002.JPG"]
	if it.ParentID != top.ID || it.Verdict != "known" || it.Origin == nil || it.Origin.DevicePath != "/private/var/mobile/Media/DCIM/100APPLE/IMG_0002.JPG" || it.Origin.DigestOnly {
		t.Errorf("IMG_0002 (content): %+v origin %+v", it, it.Origin)
	}
	it = byInner["private/var/mobile/Media/DCIM/100APPLE/IMG_0001.JPG"]
	if it.ParentID != top.ID || it.Verdict != "known" || it.Origin == nil || !it.Origin.DigestOnly || !it.Origin.Deleted || it.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("IMG_0001 (digest only): %+v origin %+v", it, it.Origin)
	}
}
