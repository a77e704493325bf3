package main

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/api"
)

// TestLabDiskImage submits a two-segment EWF image of the demo seizure
// (with two files deleted from its FAT32): the image is one piece of
// evidence read by byte range from the store, its files (deleted ones
// included) become child items of the first segment with their origin,
// and the deleted known photo is known.
func TestLabDiskImage(t *testing.T) {
	image, byInner := submitDemoImage(t, labEnv(t))
	if image.Error != "" {
		t.Errorf("image item error: %s", image.Error)
	}
	for inner, want := range map[string]struct {
		verdict string
		deleted bool
	}{
		"DCIM/100DEMO/_MG_0001.jpg":    {"known", true},
		"DCIM/100DEMO/IMG_0002.jpg":    {"known", false},
		"Pictures/series/_each-01.jpg": {"new", true},
	} {
		it, ok := byInner[inner]
		switch {
		case !ok:
			t.Errorf("%s: no item", inner)
		case it.ParentID != image.ID || string(it.Verdict) != want.verdict || it.Origin == nil || it.Origin.Deleted != want.deleted || it.Origin.Offset <= 0:
			t.Errorf("%s: parent %d verdict %s origin %+v; want parent %d, %s, deleted %v", inner, it.ParentID, it.Verdict, it.Origin, image.ID, want.verdict, want.deleted)
		}
	}
	if len(byInner) < 20 {
		t.Errorf("%d files recorded from the image, want the demo seizure's", len(byInner))
	}
	// A zip on the file system is expanded as an uploaded one is.
	if it, ok := byInner["Downloads/holiday.zip!/holiday/day1.jpg"]; !ok || string(it.Verdict) != "known" {
		t.Errorf("a photo in a zip on the image: %+v (found %v), want known", it, ok)
	}
}

// submitDemoImage runs the lab with env, pushes the demo's known set,
// submits the demo seizure's EWF image and returns the first segment's
// item and the items found in the image by inner path.
func submitDemoImage(t *testing.T, env map[string]string) (*api.ItemJSON, map[string]api.ItemJSON) {
	t.Helper()
	l := startLab(t, env)
	e01 := mustDemoImage(t)
	set := filepath.Join(t.TempDir(), "known.wset")
	if code, _, errs := runWinnow(t, "hashset", "build", "--out", set, filepath.Join(demoDir, "known.json")); code != 0 {
		t.Fatalf("hashset build: %s", errs)
	}
	client := map[string]string{"WINNOW_SERVER": l.URL, "WINNOW_TOKEN": l.Token}
	if code, out, errs := runWinnowEnv(t, client, "hashset", "push", set); code != 0 {
		t.Fatalf("hashset push: %d %s %s", code, out, errs)
	}
	waitFor(t, 10*time.Second, "worker loads the pushed set", func() bool { return len(l.Worker.w.Matcher().Sets()) == 1 })
	// Named by its first segment, the image goes up whole.
	code, out, errs := runWinnowEnv(t, client, "submit", "--case", "disk", "--exhibit", "stick", "--wait", "--json", e01)
	if code != 0 && code != 3 {
		t.Fatalf("submit: exit %d\n%s\n%s", code, out, errs)
	}
	var page struct{ Items []api.ItemJSON }
	l.call(t, "", "GET", "/api/v1/cases/disk/exhibits/stick/items?limit=1000", nil, &page)
	var image *api.ItemJSON
	byInner := map[string]api.ItemJSON{}
	segments := 0
	for i, it := range page.Items {
		if it.InnerPath == "" {
			segments++
		}
		switch {
		case strings.HasSuffix(it.Path, "stick.E01") && it.InnerPath == "":
			image = &page.Items[i]
		case it.InnerPath != "":
			byInner[it.InnerPath] = it
		}
	}
	if image == nil || segments != 2 {
		t.Fatalf("%d segment items (first: %v), want both segments uploaded", segments, image)
	}
	return image, byInner
}

// TestLabDiskCarve: with WINNOW_CARVE the worker carves the image's
// unallocated space as winnow scan --carve does: the deleted known photo
// is found again as a carved item, known, at the deleted file's offset.
func TestLabDiskCarve(t *testing.T) {
	env := labEnv(t)
	env["WINNOW_CARVE"] = "unallocated"
	_, byInner := submitDemoImage(t, env)
	del, ok := byInner["DCIM/100DEMO/_MG_0001.jpg"]
	if !ok || del.Origin == nil {
		t.Fatalf("deleted photo: %+v", del)
	}
	carved := 0
	var same *api.ItemJSON
	for inner, it := range byInner {
		if !strings.HasPrefix(inner, "$Unallocated/0x") {
			continue
		}
		carved++
		if it.Origin == nil || !it.Origin.Carved {
			t.Errorf("%s: origin %+v, want carved", inner, it.Origin)
		}
		if it.SHA256 == del.SHA256 {
			same = &it
		}
	}
	if carved < 2 {
		t.Errorf("%d items carved, want the 2 deleted photos", carved)
	}
	if same == nil || same.Verdict != "known" || same.Origin.Offset != del.Origin.Offset {
		t.Errorf("deleted known photo carved as %+v, want known at offset %d", same, del.Origin.Offset)
	}
}

// TestLabDiskCarveUndecodable: the worker, carving, drops the PNG cut
// short that no decoder reads and counts it
// (winnow_worker_carved_undecodable_total), as winnow scan --carve does;
// the JPEG cut short is an item, partial.
func TestLabDiskCarveUndecodable(t *testing.T) {
	env := labEnv(t)
	env["WINNOW_CARVE"] = "unallocated"
	env["WINNOW_WORKER_METRICS"] = "127.0.0.1:0"
	l := startLab(t, env)
	img := mustCutImage(t)
	client := map[string]string{"WINNOW_SERVER": l.URL, "WINNOW_TOKEN": l.Token}
	if code, out, errs := runWinnowEnv(t, client, "submit", "--case", "disk", "--exhibit", "cut", "--wait", "--json", img); code != 0 && code != 3 {
		t.Fatalf("submit: exit %d\n%s\n%s", code, out, errs)
	}
	var page struct{ Items []api.ItemJSON }
	l.call(t, "", "GET", "/api/v1/cases/disk/exhibits/cut/items?limit=1000", nil, &page)
	var carved []string
	var jpg *api.ItemJSON
	for i, it := range page.Items {
		if strings.HasPrefix(it.InnerPath, "$Unallocated/") {
			carved = append(carved, it.InnerPath)
		}
		if it.InnerPath == fmt.Sprintf("$Unallocated/0x%x.jpg", cutJPEGAt) {
			jpg = &page.Items[i]
		}
	}
	if len(carved) != 1 || jpg == nil || jpg.Origin == nil || !jpg.Origin.Truncated || !jpg.Partial || jpg.Error != "" {
		t.Errorf("carved items %q; want the cut JPEG alone, truncated and partial (%+v)", carved, jpg)
	}
	resp, err := http.Get("http://" + l.Worker.ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(mb), "\nwinnow_worker_carved_undecodable_total 1\n") {
		i := strings.Index(string(mb), "\nwinnow_worker_carved_undecodable_total")
		t.Errorf("worker metrics do not count the cut PNG (at %d: %.60q)", i, mb[max(i, 0):])
	}
}
