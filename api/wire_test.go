package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest/memstore"
	"github.com/winnow-forensics/winnow/triage/triagetest/storetest"
	"github.com/winnow-forensics/winnow/triage/wire"
)

type noQueue struct{}

func (noQueue) EnqueueAnalyze(context.Context, int64) error       { return nil }
func (noQueue) EnqueueImport(context.Context, int64, int64) error { return nil }

// TestItemModel: the API writes an item in the model report.json uses
// (wire.Item: reason, transform, null hashes), and the exhibit report
// carries its format and format_version. The server runs on in-memory
// stores, so this takes milliseconds.
func TestItemModel(t *testing.T) {
	ctx := context.Background()
	cases, audit := &memstore.Cases{}, &memstore.Audit{}
	items := &memstore.Items{Cases: cases, Audit: audit}
	users := &memstore.Users{Audit: audit}
	srv := httptest.NewServer(New(Config{Cases: cases, Items: items, Users: users, Audit: audit, Sets: &memstore.Sets{},
		Evidence: &memstore.Evidence{}, Enqueuer: noQueue{}}))
	defer srv.Close()
	admin := triage.User{Name: "admin", Role: triage.RoleAdmin}
	if err := users.CreateUser(ctx, &admin, nil); err != nil {
		t.Fatal(err)
	}
	secret, hash := triage.NewTokenSecret()
	if err := users.CreateToken(ctx, &triage.Token{UserID: admin.ID, Hash: hash}, nil); err != nil {
		t.Fatal(err)
	}
	storetest.MustExhibit(t, cases, "c1", "e1")
	call := func(method, path string, body io.Reader, out any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, body)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}

	var up ItemJSON
	call("PUT", "/api/v1/cases/c1/exhibits/e1/items?path=dcim/a.jpg", strings.NewReader("benign bytes"), &up)
	if up.UploadResult != "created" || up.SHA256 == "" || up.PDQ != "" || up.Verdict != "" {
		t.Fatalf("upload: %+v", up)
	}
	cat := triage.MustParseCategory("vic-us:1")
	m := triage.Match{Set: "known", SetVersion: "1", SetKind: triage.SetKindAlert, Entry: 3, EntryID: "k3", Algo: triage.AlgoPDQ,
		Distance: 12, Dihedral: 1, Category: cat}
	if _, err := items.ClaimItem(ctx, up.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := items.FinishItem(ctx, up.ID, triage.ItemResult{Matches: []triage.Match{m},
		Decision: triage.Decision{Verdict: triage.VerdictVariant, Category: cat, Reason: "pdq distance 12 in known"}}); err != nil {
		t.Fatal(err)
	}

	var raw map[string]any
	call("GET", "/api/v1/items/"+strconv.FormatInt(up.ID, 10), nil, &raw)
	for _, k := range []string{"reason", "md5", "sha256", "pdq", "error", "matches", "category_label"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("item lacks %q: %v", k, raw)
		}
	}
	for _, k := range []string{"verdict_reason"} {
		if _, ok := raw[k]; ok {
			t.Errorf("item has %q, which format version 2 calls reason", k)
		}
	}
	if raw["pdq"] != nil || raw["error"] != nil || raw["reason"] != "pdq distance 12 in known" {
		t.Errorf("item: pdq %v, error %v, reason %v", raw["pdq"], raw["error"], raw["reason"])
	}
	var report struct {
		Format        string     `json:"format"`
		FormatVersion int        `json:"format_version"`
		Items         []ItemJSON `json:"items"`
	}
	call("GET", "/api/v1/cases/c1/exhibits/e1/report", nil, &report)
	if report.Format != ExhibitReportFormat || report.FormatVersion != wire.FormatVersion || len(report.Items) != 1 {
		t.Fatalf("exhibit report: %+v", report)
	}
	it := report.Items[0]
	if it.Reason != "pdq distance 12 in known" || it.Category != "vic-us:1" || len(it.Matches) != 1 ||
		it.Matches[0].Transform != "rot90" || it.Matches[0].Algorithm != "pdq" || it.Matches[0].CategoryLabel == "" {
		t.Errorf("exhibit report item: %+v", it)
	}
	if evs, _ := audit.AuditEvents(ctx, triage.AuditFilter{Action: triage.AuditExport}); len(evs) != 1 {
		t.Errorf("the export was audited %d times, want once", len(evs))
	}
}
