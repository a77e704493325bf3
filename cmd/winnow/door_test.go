package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// TestSubmitHostileNames submits files whose names are not UTF-8 or carry
// a right-to-left override, and a damaged JPEG: every file is ingested,
// shown escaped with its raw name kept, and the failed item is named with
// its reason. A wait cut short by --wait-timeout says what it waited for
// and counts the items it saw. A path refused by the service leaves no
// object behind.
func TestSubmitHostileNames(t *testing.T) {
	l := startLab(t, labEnv(t))
	dir := filepath.Join(t.TempDir(), "seizure")
	names := map[string]string{ // name on disk -> path the service records
		"bad\xff\xfe.jpg":      "seizure/bad%FF%FE.jpg",
		"holiday\u202egpj.exe": "seizure/holiday%E2%80%AEgpj.exe",
		"plain.jpg":            "seizure/plain.jpg",
		"broken.jpg":           "seizure/broken.jpg",
	}
	i := 0
	for name := range names {
		b := triagetest.PhotoJPEG(200, 150, uint64(900+i), 85)
		if name == "broken.jpg" {
			// Cut inside its tables: nothing of the picture to hash (a
			// JPEG cut in its scan data is hashed from the rows it
			// holds, as partial).
			b = b[:300]
		}
		writeFile(t, filepath.Join(dir, name), b)
		i++
	}
	client := map[string]string{"WINNOW_SERVER": l.URL, "WINNOW_TOKEN": l.Token}
	code, out, errs := runWinnowEnv(t, client, "submit", "--case", "h", "--exhibit", "e", "--wait", "--json", dir)
	s := summaryOf(t, out)
	if s.Files != 4 || s.Items != 4 || s.Failed != 0 {
		t.Fatalf("summary %+v\n%s", s, errs)
	}
	if code != 3 || len(s.FailedItems) != 1 || s.FailedItems[0].Path != "seizure/broken.jpg" || !strings.Contains(s.FailedItems[0].Error, ":") {
		t.Errorf("exit %d, failed items %+v", code, s.FailedItems)
	}
	t.Logf("failed item: %+v", s.FailedItems)
	var page struct{ Items []api.ItemJSON }
	l.call(t, "", "GET", "/api/v1/cases/h/exhibits/e/items", nil, &page)
	got := map[string]string{}
	for _, it := range page.Items {
		got[it.Path] = it.RawName
	}
	for name, path := range names {
		raw, ok := got[path]
		switch {
		case !ok:
			t.Errorf("no item at %q (items: %v)", path, got)
		case path == "seizure/"+name && raw != "":
			t.Errorf("%q: raw_name %q for a clean name", path, raw)
		case path != "seizure/"+name && raw != fmt.Sprintf("%q", "seizure/"+name):
			t.Errorf("%q: raw_name %q", path, raw)
		}
	}
	// The JSON lines show the escaped names too.
	if !strings.Contains(out, `"path":"seizure/bad%FF%FE.jpg"`) {
		t.Errorf("submit output:\n%s", out)
	}

	// A wait cut short: what it waited for, and the items it saw.
	code, out, errs = runWinnowEnv(t, client, "submit", "--case", "h", "--exhibit", "e2", "--wait", "--wait-timeout", "1ns", "--json", dir)
	s = summaryOf(t, out)
	if code != 1 || s.Items != 4 || !strings.Contains(errs, "stopped waiting after 1ns (--wait-timeout):") || !strings.Contains(errs, "of 4 items have a verdict") {
		t.Errorf("cut-short wait: exit %d, summary %+v\n%s", code, s, errs)
	}

	// A path the service refuses: no object is left without its row.
	long := strings.Repeat("x", triage.MaxPathLen+1)
	content := triagetest.PhotoJPEG(100, 80, 4242, 80)
	if st := l.call(t, "", "PUT", "/api/v1/cases/h/exhibits/e/items?path="+long, bytes.NewReader(content), nil); st != 400 {
		t.Errorf("overlong path: %d, want 400", st)
	}
	sum := triage.HashTokenSecret(string(content)) // SHA-256 of the content
	if st := l.call(t, "", "HEAD", "/api/v1/evidence/"+sum.String(), nil, nil); st != 404 {
		t.Errorf("the refused upload's content is stored: %d", st)
	}
	var ev struct{ Events []triage.AuditEvent }
	l.call(t, "", "GET", "/api/v1/audit?action=item.upload&limit=100", nil, &ev)
	b, _ := json.Marshal(ev.Events)
	if !bytes.Contains(b, []byte(`"raw_name"`)) {
		t.Errorf("upload events do not keep the raw name")
	}
}
