package main

import (
	"bytes"
	"image/jpeg"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/triage/heif/heiftest"
	"github.com/winnow-forensics/winnow/triage/triagetest"
	"github.com/winnow-forensics/winnow/triage/video/videotest"
)

// TestLabMedia: the lab worker hashes videos and HEIC like a scan does: a
// slideshow of known stills is a variant whose thumbnail is its contact
// sheet, and a HEIC bomb is the item's error.
func TestLabMedia(t *testing.T) {
	l := startLab(t, labEnv(t))
	dir := t.TempDir()
	for i := range 4 {
		writeFile(t, filepath.Join(dir, "known", "still-"+string(rune('a'+i))+".jpg"), triagetest.PhotoJPEG(1280, 720, 1+uint64(i), 90))
	}
	set := filepath.Join(dir, "known.wset")
	if code, _, errs := runWinnow(t, "hashset", "build", "--out", set, "--category", "vic-us:1", filepath.Join(dir, "known")); code != 0 {
		t.Fatalf("hashset build: %s", errs)
	}
	env := map[string]string{"WINNOW_SERVER": l.URL, "WINNOW_TOKEN": l.Token}
	if code, out, errs := runWinnowEnv(t, env, "hashset", "push", set); code != 0 {
		t.Fatalf("hashset push: %d %s %s", code, out, errs)
	}
	waitFor(t, 10*time.Second, "worker loads the pushed set", func() bool { return len(l.Worker.w.Matcher().Sets()) == 1 })
	writeFile(t, filepath.Join(dir, "phone", "slideshow.mp4"), videotest.Slideshow(t, stillSlides(1), 640, 360, 10))
	writeFile(t, filepath.Join(dir, "phone", "bomb.heic"), heiftest.HEIC(heiftest.Options{Rows: 40, Columns: 40, TileSide: 512, ShareExtent: true}))
	code, out, errs := runWinnowEnv(t, env, "submit", "--case", "media", "--exhibit", "phone", "--wait", "--json", filepath.Join(dir, "phone"))
	if code != 0 && code != 3 {
		t.Fatalf("submit: exit %d\n%s\n%s", code, out, errs)
	}
	var page struct{ Items []api.ItemJSON }
	l.call(t, "", "GET", "/api/v1/cases/media/exhibits/phone/items", nil, &page)
	var vid, bomb *api.ItemJSON
	for i, it := range page.Items {
		switch {
		case strings.HasSuffix(it.Path, "slideshow.mp4"):
			vid = &page.Items[i]
		case strings.HasSuffix(it.Path, "bomb.heic"):
			bomb = &page.Items[i]
		}
	}
	if vid == nil || vid.Verdict != "variant" || !strings.Contains(vid.Reason, "4 known images appear at 0:00, 0:03, 0:06, 0:09") || !vid.Thumbnail {
		t.Fatalf("slideshow item: %+v", vid)
	}
	if bomb == nil || bomb.Verdict != "error" {
		t.Fatalf("bomb item: %+v", bomb)
	}
	// The item's matches say where each known still appears, as in a scan.
	var detail api.ItemJSON
	l.call(t, "", "GET", "/api/v1/items/"+strconv.FormatInt(vid.ID, 10), nil, &detail)
	var at []float64
	for _, m := range detail.Matches {
		at = append(at, m.Timestamps...)
	}
	slices.Sort(at)
	if len(detail.Matches) != 4 || !slices.Equal(at, []float64{0, 3, 6, 9}) {
		t.Errorf("slideshow matches: %+v; want the 4 stills at 0, 3, 6 and 9 s", detail.Matches)
	}
	req, _ := http.NewRequest("GET", l.URL+"/api/v1/items/"+strconv.FormatInt(vid.ID, 10)+"/thumbnail", nil)
	req.Header.Set("Authorization", "Bearer "+l.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("thumbnail: %d %v", resp.StatusCode, err)
	}
	// Four slides, one frame each, side by side: a strip 4 cells wide.
	if sz := img.Bounds().Size(); sz.X < 3*sz.Y {
		t.Errorf("contact sheet is %v, want four frames in a row", sz)
	}
}
