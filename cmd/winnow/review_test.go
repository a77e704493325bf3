package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/triagetest"
	"github.com/winnow-forensics/winnow/workers"
)

// queueJSON is GET /api/v1/review/queue's answer.
type queueJSON struct {
	Total  int `json:"total"`
	Groups []struct {
		ID       int64                `json:"id"`
		Members  int                  `json:"members"`
		Pending  int                  `json:"pending"`
		Lanes    []string             `json:"lanes"`
		Priority triage.PriorityScore `json:"priority"`
		Thumb    string               `json:"thumbnail"`
	} `json:"groups"`
}

// groupDetailJSON is GET /api/v1/review/groups/{id}'s answer.
type groupDetailJSON struct {
	Group struct {
		ID        int64  `json:"id"`
		ClaimedBy string `json:"claimed_by"`
		Confirmed int    `json:"confirmed"`
	} `json:"group"`
	Members []struct {
		ID       int64  `json:"id"`
		SHA256   string `json:"sha256"`
		Lane     string `json:"lane"`
		Status   string `json:"status"`
		Items    []triage.ReviewItemRef
		Decision *struct {
			Category  string             `json:"category"`
			Notes     []triage.CaseNotes `json:"notes"`
			Reviewers []string           `json:"reviewers"`
			Previous  string             `json:"previous"`
		} `json:"decision"`
	} `json:"members"`
}

// submitDir submits the files under dir as case/exhibit and waits.
func (l *testLab) submitDir(t *testing.T, caseName, exhibit, dir string) submitSummary {
	t.Helper()
	env := map[string]string{"WINNOW_SERVER": l.URL, "WINNOW_TOKEN": l.Token}
	code, out, errs := runWinnowEnv(t, env, "submit", "--case", caseName, "--exhibit", exhibit, "--wait", "--json", dir)
	if code != 0 && code != 3 {
		t.Fatalf("submit %s/%s: exit %d: %s", caseName, exhibit, code, errs)
	}
	return summaryOf(t, out)
}

// send makes a request with a token and a JSON body, and decodes a JSON
// answer; it returns the status.
func (l *testLab) send(t *testing.T, tok, method, path string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	return l.call(t, tok, method, path, r, out)
}

func (l *testLab) queue(t *testing.T, tok, lane string) queueJSON {
	t.Helper()
	var q queueJSON
	if st := l.send(t, tok, "GET", "/api/v1/review/queue?lane="+lane, nil, &q); st != 200 {
		t.Fatalf("queue %s: %d", lane, st)
	}
	return q
}

func (l *testLab) groupDetail(t *testing.T, tok string, id int64) groupDetailJSON {
	t.Helper()
	var g groupDetailJSON
	if st := l.send(t, tok, "GET", fmt.Sprintf("/api/v1/review/groups/%d", id), nil, &g); st != 200 {
		t.Fatalf("group %d: %d", id, st)
	}
	return g
}

// itemsOf lists an exhibit's items by path.
func (l *testLab) itemsOf(t *testing.T, caseName, exhibit string) map[string]api.ItemJSON {
	t.Helper()
	var page struct{ Items []api.ItemJSON }
	l.send(t, "", "GET", "/api/v1/cases/"+caseName+"/exhibits/"+exhibit+"/items", nil, &page)
	out := map[string]api.ItemJSON{}
	for _, it := range page.Items {
		out[it.Path] = it
	}
	return out
}

// submitPromotedVariant uploads file as crop.jpg of case-b's laptop
// (from dir) and returns its item in full, which must be a vic-us:1
// variant of promoted content whose reason names how (why).
func (l *testLab) submitPromotedVariant(t *testing.T, dir string, file []byte, why string) api.ItemJSON {
	t.Helper()
	writeFile(t, filepath.Join(dir, "crop.jpg"), file)
	l.submitDir(t, "case-b", "laptop", dir)
	it, ok := l.itemsOf(t, "case-b", "laptop")[filepath.Base(dir)+"/crop.jpg"]
	if !ok || it.Verdict != triage.VerdictVariant || it.Category != "vic-us:1" || !strings.Contains(it.Reason, why) {
		t.Fatalf("crop: %+v, want a vic-us:1 variant through %s", it, why)
	}
	var got api.ItemJSON
	if st := l.send(t, "", "GET", fmt.Sprintf("/api/v1/items/%d", it.ID), nil, &got); st != 200 {
		t.Fatalf("item: %d", st)
	}
	return got
}

// waitPromoted waits until the worker's matcher finds img in the local set.
func (l *testLab) waitPromoted(t *testing.T, img []byte) time.Duration {
	t.Helper()
	h := hashing.New(workers.HasherOptions())
	fp := h.HashBytes(context.Background(), img)
	return waitFor(t, 10*time.Second, "promoted content matched by the worker", func() bool {
		for _, m := range l.Worker.w.Matcher().Match(&fp) {
			if m.Set == "winnow-local" {
				return true
			}
		}
		return false
	})
}

// TestReviewPromotion is the "test exactly that": items confirmed
// in case A are promoted into the local hash set, and the same images
// uploaded to case B come back known with the confirmed category, a
// near-duplicate variant, and new material new.
func TestReviewPromotion(t *testing.T) {
	l := startLab(t, labEnv(t))
	dirA, dirB := t.TempDir(), t.TempDir()
	p1 := triagetest.WithEXIF(triagetest.PhotoJPEG(640, 480, 301, 90), "WinnowTestCam", "Model Seven")
	p2 := triagetest.PhotoJPEG(600, 450, 302, 90)
	writeFile(t, filepath.Join(dirA, "DCIM/p1.jpg"), p1)
	writeFile(t, filepath.Join(dirA, "DCIM/p2.jpg"), p2)
	if s := l.submitDir(t, "case-a", "phone", dirA); s.Verdicts["new"] != 2 {
		t.Fatalf("case A: %+v", s)
	}
	// Both are new, unrelated: two groups in the new lane.
	q := l.queue(t, "", "new")
	if len(q.Groups) != 2 {
		t.Fatalf("queue: %+v", q)
	}
	for _, g := range q.Groups {
		if st := l.send(t, "", "POST", fmt.Sprintf("/api/v1/review/groups/%d/claim", g.ID), nil, nil); st != 200 {
			t.Fatalf("claim: %d", st)
		}
		var res struct {
			Outcomes []triage.MemberOutcome `json:"outcomes"`
			Version  int                    `json:"version"`
		}
		if st := l.send(t, "", "POST", fmt.Sprintf("/api/v1/review/groups/%d/decision", g.ID),
			api.DecisionBody{Category: "vic-us:1", Series: "series-A"}, &res); st != 200 || res.Outcomes[0].Status != triage.MemberConfirmed {
			t.Fatalf("decision: %d %+v", st, res)
		}
	}
	took := l.waitPromoted(t, p2)
	t.Logf("promoted entries matched by the worker %s after the decision", took.Round(time.Millisecond))

	writeFile(t, filepath.Join(dirB, "copy/p1.jpg"), p1)
	writeFile(t, filepath.Join(dirB, "copy/p2-marked.jpg"), markedCopy(600, 450, 302)) // near-duplicate
	writeFile(t, filepath.Join(dirB, "copy/p3.jpg"), triagetest.PhotoJPEG(500, 500, 303, 90))
	s := l.submitDir(t, "case-b", "laptop", dirB)
	items := l.itemsOf(t, "case-b", "laptop")
	for path, want := range map[string]struct{ verdict, category string }{
		filepath.Base(dirB) + "/copy/p1.jpg":        {"known", "vic-us:1"},
		filepath.Base(dirB) + "/copy/p2-marked.jpg": {"variant", "vic-us:1"},
		filepath.Base(dirB) + "/copy/p3.jpg":        {"new", ""},
	} {
		it, ok := items[path]
		if !ok {
			t.Fatalf("no item %s in %v (summary %+v)", path, items, s)
		}
		if string(it.Verdict) != want.verdict || it.Category != want.category {
			t.Errorf("%s: verdict %s category %q, want %s %q (%s)", path, it.Verdict, it.Category, want.verdict, want.category, it.Reason)
		}
	}
	// The variant waits in the variant lane, in the series of its original.
	v := l.queue(t, "", "variant")
	if len(v.Groups) != 1 {
		t.Fatalf("variant lane: %+v", v)
	}
	g := l.groupDetail(t, "", v.Groups[0].ID)
	if len(g.Members) != 2 || g.Members[0].Decision == nil || len(g.Members[0].Decision.Notes) != 1 ||
		g.Members[0].Decision.Notes[0].Series != "series-A" || g.Members[0].Decision.Notes[0].Case != "case-a" || g.Members[1].Lane != "variant" {
		t.Errorf("variant's group: %+v", g)
	}
	// The local set's versions keep the provenance.
	var ls struct {
		Entries  int64                    `json:"entries"`
		Versions []triage.LocalSetVersion `json:"versions"`
	}
	l.send(t, "", "GET", "/api/v1/review/localset", nil, &ls)
	if ls.Entries != 2 || len(ls.Versions) != 2 || ls.Versions[0].By != "admin" {
		t.Errorf("local set: %+v", ls)
	}
}

// markedCopy is a generated photo with a red block over about 4% of it: a
// near-duplicate that the default rules call a variant, not known (PDQ 24
// bits and pHash 12 bits from the unmarked photo, in both builds; the
// rules call PDQ within 16, or PDQ and pHash both within their radius,
// certain).
func markedCopy(w, h int, seed uint64) []byte {
	img := triagetest.Photo(w, h, seed)
	side := w * 24 / 100
	draw.Draw(img, image.Rect(40, 40, 40+side, 40+side*3/4), &image.Uniform{color.RGBA{200, 40, 40, 255}}, image.Point{}, draw.Src)
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
	return b.Bytes()
}

// reviewer makes a user with a token and a password, allowed on cases.
func (l *testLab) reviewer(t *testing.T, name string, role triage.Role, cases ...string) string {
	t.Helper()
	tok := l.mustToken(t, name, role)
	for _, c := range cases {
		if st := l.send(t, "", "PUT", "/api/v1/cases/"+c+"/members/"+name, nil, nil); st != 204 {
			t.Fatalf("case member %s/%s: %d", c, name, st)
		}
	}
	return tok
}

func TestReviewAPI(t *testing.T) {
	env := labEnv(t)
	env["WINNOW_REVIEW_VOTES"] = "2"
	l := startLab(t, env)
	dir := t.TempDir()
	a := triagetest.WithEXIF(triagetest.PhotoJPEG(640, 480, 401, 90), "WinnowTestCam", "Model Seven")
	writeFile(t, filepath.Join(dir, "DCIM/a.jpg"), a)
	writeFile(t, filepath.Join(dir, "DCIM/a-edit.jpg"), triagetest.PhotoJPEG(640, 480, 401, 55))
	writeFile(t, filepath.Join(dir, "DCIM/b.jpg"), triagetest.PhotoJPEG(480, 480, 402, 90))
	l.submitDir(t, "c1", "e1", dir)
	ann := l.reviewer(t, "ann", triage.RoleReviewer, "c1")
	bob := l.reviewer(t, "bob", triage.RoleReviewer, "c1")
	judge := l.reviewer(t, "judge", triage.RoleAdjudicator, "c1")
	out := l.reviewer(t, "outsider", triage.RoleReviewer) // on no case
	items := l.itemsOf(t, "c1", "e1")
	itemA := items[filepath.Base(dir)+"/DCIM/a.jpg"]

	// Configuration, lanes, queue with its score breakdown.
	var cfg api.ReviewConfigJSON
	if st := l.send(t, ann, "GET", "/api/v1/review/config", nil, &cfg); st != 200 || cfg.RequiredVotes != 2 || cfg.Scheme != "vic-us" || cfg.Keys["1"] != "1" {
		t.Errorf("config: %d %+v", st, cfg)
	}
	var lanes struct {
		Lanes []struct {
			Lane   string
			Groups int
		}
	}
	if st := l.send(t, ann, "GET", "/api/v1/review/lanes", nil, &lanes); st != 200 || len(lanes.Lanes) != 2 || lanes.Lanes[0].Groups != 2 {
		t.Errorf("ann's lanes: %d %+v", st, lanes)
	}
	l.send(t, judge, "GET", "/api/v1/review/lanes", nil, &lanes)
	if len(lanes.Lanes) != 3 {
		t.Errorf("judge's lanes: %+v", lanes)
	}
	q := l.queue(t, ann, "new")
	if len(q.Groups) != 2 || q.Groups[0].Members != 2 || len(q.Groups[0].Priority.Components) != 6 || q.Groups[0].Priority.Total <= q.Groups[1].Priority.Total {
		t.Fatalf("queue: %+v", q)
	}
	series := q.Groups[0] // the camera original and its edit rank first
	if st := l.send(t, ann, "GET", "/api/v1/review/queue?lane=bogus", nil, nil); st != 400 {
		t.Errorf("bogus lane: %d", st)
	}
	if q := l.queue(t, out, "new"); len(q.Groups) != 0 {
		t.Errorf("outsider's queue: %+v", q)
	}
	if st := l.send(t, out, "GET", fmt.Sprintf("/api/v1/review/groups/%d", series.ID), nil, nil); st != 404 {
		t.Errorf("outsider's group view: %d", st)
	}

	// Two reviewers race for one group: exactly one wins.
	gpath := fmt.Sprintf("/api/v1/review/groups/%d", series.ID)
	var wg sync.WaitGroup
	codes := map[string]int{}
	var mu sync.Mutex
	for name, tok := range map[string]string{"ann": ann, "bob": bob} {
		wg.Go(func() {
			st := l.send(t, tok, "POST", gpath+"/claim", nil, nil)
			mu.Lock()
			codes[name] = st
			mu.Unlock()
		})
	}
	wg.Wait()
	if !(codes["ann"] == 200 && codes["bob"] == 409 || codes["ann"] == 409 && codes["bob"] == 200) {
		t.Fatalf("race: %v, want one 200 and one 409", codes)
	}
	holder, other := ann, bob
	if codes["bob"] == 200 {
		holder, other = bob, ann
	}
	if st := l.send(t, holder, "POST", gpath+"/heartbeat", nil, nil); st != 200 {
		t.Errorf("heartbeat: %d", st)
	}
	if st := l.send(t, other, "POST", gpath+"/heartbeat", nil, nil); st != 409 {
		t.Errorf("heartbeat by the loser: %d", st)
	}
	if st := l.send(t, other, "POST", gpath+"/decision", api.DecisionBody{Category: "1"}, nil); st != 409 {
		t.Errorf("decision without the claim: %d", st)
	}
	if st := l.send(t, holder, "POST", gpath+"/decision", api.DecisionBody{Category: "caid:A"}, nil); st != 400 {
		t.Errorf("category of another scheme: %d", st)
	}
	// The holder votes 1 on the whole group: one vote of two, pending.
	var res struct {
		Outcomes []triage.MemberOutcome `json:"outcomes"`
	}
	if st := l.send(t, holder, "POST", gpath+"/decision", api.DecisionBody{Category: "1", Series: "=HYPERLINK(\"x\")",
		Flags: triage.ReviewFlags{VictimLead: true}, Tags: []string{"bedroom"}}, &res); st != 200 || len(res.Outcomes) != 2 ||
		res.Outcomes[0].Status != triage.MemberPending || res.Outcomes[0].Needed != 1 {
		t.Fatalf("first vote: %d %+v", st, res)
	}
	// Nothing left for the holder; a second vote on an item is refused.
	if st := l.send(t, holder, "POST", gpath+"/decision", api.DecisionBody{Category: "1"}, nil); st != 409 {
		t.Errorf("vote with nothing waiting: %d", st)
	}
	if st := l.send(t, holder, "POST", fmt.Sprintf("/api/v1/review/items/%d/decision", itemA.ID), api.DecisionBody{Category: "1"}, nil); st != 409 {
		t.Errorf("second vote on an item: %d", st)
	}
	if st := l.send(t, holder, "POST", gpath+"/release", nil, nil); st != 204 {
		t.Errorf("release: %d", st)
	}
	if st := l.send(t, holder, "POST", gpath+"/release", nil, nil); st != 409 {
		t.Errorf("release twice: %d", st)
	}
	// The other reviewer agrees on one item (confirmed) and disagrees on
	// the other (adjudication).
	if st := l.send(t, other, "POST", gpath+"/claim", nil, nil); st != 200 {
		t.Fatalf("claim after release: %d", st)
	}
	g := l.groupDetail(t, other, series.ID)
	var editSHA string
	for _, m := range g.Members {
		if m.Items[0].ItemID != itemA.ID {
			editSHA = m.SHA256
		}
	}
	if st := l.send(t, other, "POST", fmt.Sprintf("/api/v1/review/items/%d/decision", itemA.ID), api.DecisionBody{Category: "1"}, &res); st != 200 ||
		res.Outcomes[0].Status != triage.MemberConfirmed || res.Outcomes[0].Entry != 0 {
		t.Fatalf("agreeing vote on an item: %d %+v", st, res)
	}
	if st := l.send(t, other, "POST", gpath+"/decision", api.DecisionBody{Category: "2", Members: []string{editSHA}}, &res); st != 200 ||
		res.Outcomes[0].Status != triage.MemberAdjudication {
		t.Fatalf("disagreeing vote: %d %+v", st, res)
	}
	l.send(t, other, "POST", gpath+"/release", nil, nil)
	// The adjudication lane: the adjudicator sees the votes and decides.
	aq := l.queue(t, judge, "adjudication")
	if len(aq.Groups) != 1 || aq.Groups[0].ID != series.ID {
		t.Fatalf("adjudication lane: %+v", aq)
	}
	var editID int64
	for _, m := range l.groupDetail(t, judge, series.ID).Members {
		if m.SHA256 == editSHA {
			editID = m.ID
		}
	}
	var votes struct {
		Votes []api.VoteJSON `json:"votes"`
	}
	if st := l.send(t, judge, "GET", fmt.Sprintf("/api/v1/review/members/%d/votes", editID), nil, &votes); st != 200 || len(votes.Votes) != 2 {
		t.Errorf("votes: %d %+v", st, votes)
	}
	if st := l.send(t, ann, "GET", fmt.Sprintf("/api/v1/review/members/%d/votes", editID), nil, nil); st != 403 {
		t.Errorf("reviewer reads others' votes: %d", st)
	}
	l.send(t, judge, "POST", gpath+"/claim", nil, nil)
	if st := l.send(t, ann, "POST", gpath+"/decision", api.DecisionBody{Category: "2", Adjudicate: true}, nil); st != 409 && st != 403 {
		t.Errorf("reviewer adjudicates: %d", st)
	}
	if st := l.send(t, judge, "POST", gpath+"/decision", api.DecisionBody{Category: "2", Adjudicate: true, Notes: "age difficult"}, &res); st != 200 ||
		res.Outcomes[0].Status != triage.MemberConfirmed {
		t.Fatalf("adjudication: %d %+v", st, res)
	}

	// The item view: EXIF, GPS numbers, siblings, series, elsewhere.
	var view struct {
		Item      api.ItemJSON           `json:"item"`
		Siblings  []triage.ReviewItemRef `json:"siblings"`
		Series    []json.RawMessage      `json:"series"`
		Elsewhere []triage.Appearance    `json:"elsewhere"`
	}
	if st := l.send(t, ann, "GET", fmt.Sprintf("/api/v1/review/items/%d", itemA.ID), nil, &view); st != 200 ||
		view.Item.EXIF["Make"] != "WinnowTestCam" || len(view.Siblings) != 2 || len(view.Series) != 1 || len(view.Elsewhere) != 1 {
		t.Errorf("item view: %d %+v", st, view)
	}
	if st := l.send(t, out, "GET", fmt.Sprintf("/api/v1/review/items/%d", itemA.ID), nil, nil); st != 404 {
		t.Errorf("outsider's item view: %d", st)
	}

	// Media: only to users allowed on the case (404 for others: existence
	// does not leak), never cached.
	for _, what := range []string{"thumbnail", "content"} {
		p := fmt.Sprintf("/api/v1/items/%d/%s", itemA.ID, what)
		for tok, want := range map[string]int{ann: 200, out: 404} {
			req, _ := http.NewRequest("GET", l.URL+p, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: %d Cache-Control %q, want %d no-store", p, resp.StatusCode, resp.Header.Get("Cache-Control"), want)
			}
		}
	}

	// Exports: VICS 2.0 and formula-safe CSV, audited.
	resp := l.raw(t, "GET", "/api/v1/cases/c1/review/export?format=vics")
	vb, _ := io.ReadAll(resp.Body)
	var vics struct {
		Value []struct {
			Media []map[string]any
		} `json:"value"`
	}
	if err := json.Unmarshal(vb, &vics); err != nil || resp.StatusCode != 200 || len(vics.Value) != 1 || len(vics.Value[0].Media) != 2 {
		t.Fatalf("vics export: %d %v %s", resp.StatusCode, err, vb)
	}
	if !strings.Contains(string(vb), `"Category":1`) || !strings.Contains(string(vb), `"Category":2`) || !strings.Contains(string(vb), "DCIM") {
		t.Errorf("vics export lacks categories or file paths: %s", vb)
	}
	resp = l.raw(t, "GET", "/api/v1/cases/c1/review/export?format=csv")
	cb, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(cb), `'=HYPERLINK`) || strings.Count(string(cb), "\n") != 3 {
		t.Errorf("csv export: %d %s", resp.StatusCode, cb)
	}
	if st := l.send(t, out, "GET", "/api/v1/cases/c1/review/export", nil, nil); st != 403 {
		t.Errorf("outsider's export: %d (reviewers may not export)", st)
	}

	// Audit: media access, decisions, promotion, exports.
	for _, action := range []string{triage.AuditMediaAccess, triage.AuditReviewClaim, triage.AuditDecision, triage.AuditAdjudicate,
		triage.AuditPromote, triage.AuditReviewExport, triage.AuditCaseMember} {
		var evs struct{ Events []triage.AuditEvent }
		l.send(t, "", "GET", "/api/v1/audit?action="+action, nil, &evs)
		if len(evs.Events) == 0 {
			t.Errorf("no audit event %s", action)
		}
	}

	// Wellness settings and exposure.
	var w triage.WellnessSettings
	if st := l.send(t, ann, "GET", "/api/v1/me/settings", nil, &w); st != 200 || w != triage.DefaultWellnessSettings() {
		t.Errorf("default settings: %d %+v", st, w)
	}
	if st := l.send(t, ann, "PUT", "/api/v1/me/settings", map[string]any{"blur": 10, "reveal_mode": "hold"}, &w); st != 200 || w.Blur != 10 || w.RevealMode != "hold" || !w.Grayscale {
		t.Errorf("put settings: %d %+v", st, w)
	}
	if st := l.send(t, ann, "PUT", "/api/v1/me/settings", map[string]any{"reveal_mode": "peek"}, nil); st != 400 {
		t.Errorf("bad settings: %d", st)
	}
	var e triage.Exposure
	if st := l.send(t, ann, "POST", "/api/v1/me/exposure", map[string]any{"revealed": 1, "item_id": itemA.ID}, &e); st != 200 || e.Today != 1 {
		t.Errorf("exposure: %d %+v", st, e)
	}
	if st := l.send(t, ann, "POST", "/api/v1/me/exposure/break", nil, &e); st != 200 || e.SinceBreak != 0 || e.Total != 1 {
		t.Errorf("break: %d %+v", st, e)
	}
}

// waitMatch waits until the worker's matcher finds img in the local set
// with category cat ("" : not at all).
func (l *testLab) waitMatch(t *testing.T, img []byte, cat string) {
	t.Helper()
	h := hashing.New(workers.HasherOptions())
	fp := h.HashBytes(context.Background(), img)
	waitFor(t, 10*time.Second, "local set match "+cat, func() bool {
		got := ""
		for _, m := range l.Worker.w.Matcher().Match(&fp) {
			if m.Set == "winnow-local" && m.Algo == triage.AlgoSHA256 {
				got = m.Category.String()
			}
		}
		return got == cat
	})
}

// TestReviewCorrections is issue 11's defects 9 and 10 through the API on
// the real services: notes stay in their case's export; a reviewer undoes
// their decision while holding the group and the worker stops matching
// the withdrawn entry; an adjudicator overturns a decision with a reason
// and the worker matches the new category; all of it audited. Also the
// reduced preview, and turning blur off audited.
func TestReviewCorrections(t *testing.T) {
	l := startLab(t, labEnv(t))
	img := triagetest.WithEXIF(triagetest.PhotoJPEG(1600, 1200, 501, 90), "WinnowTestCam", "Model Seven")
	dirA, dirB := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(dirA, "DCIM/a.jpg"), img)
	writeFile(t, filepath.Join(dirB, "copy/a.jpg"), img)
	l.submitDir(t, "case-a", "phone", dirA)
	l.submitDir(t, "case-b", "laptop", dirB)
	ann := l.reviewer(t, "ann", triage.RoleReviewer, "case-a", "case-b")
	judge := l.reviewer(t, "judge", triage.RoleAdjudicator, "case-a", "case-b")
	itemA := l.itemsOf(t, "case-a", "phone")[filepath.Base(dirA)+"/DCIM/a.jpg"]

	var tiles struct {
		Tiles []api.TileJSON `json:"tiles"`
		Total int            `json:"total"`
	}
	if st := l.send(t, ann, "GET", "/api/v1/review/tiles?case=case-b&count=1", nil, &tiles); st != 200 || tiles.Total != 1 ||
		tiles.Tiles[0].Item.Case != "case-b" || tiles.Tiles[0].Items != 1 {
		t.Fatalf("tiles: %d %+v", st, tiles)
	}
	tile := tiles.Tiles[0]
	for _, q := range []string{"after=garbage", "sort=colour", "limit=5000", "from=yesterday", "state=maybe", "lane=adjudication"} {
		if st := l.send(t, ann, "GET", "/api/v1/review/tiles?"+q, nil, nil); st != 400 && st != 403 {
			t.Errorf("tiles?%s: %d", q, st)
		}
	}
	if st := l.send(t, ann, "GET", "/api/v1/review/tiles?after="+tile.Cursor, nil, &tiles); st != 200 || len(tiles.Tiles) != 0 {
		t.Errorf("tiles after the last one: %d %+v", st, tiles)
	}
	gpath := fmt.Sprintf("/api/v1/review/groups/%d", tile.GroupID)
	var res struct {
		Outcomes []api.OutcomeJSON `json:"outcomes"`
		Version  int               `json:"version"`
	}
	// Defect 9: the note belongs to case A; without a case it is refused.
	body := api.DecisionBody{Category: "1", Notes: "informant 7", Series: "SERIES-A", Claim: true}
	if st := l.send(t, ann, "POST", gpath+"/decision", body, nil); st != 400 {
		t.Errorf("notes without a case for content in two cases: %d", st)
	}
	body.Case = "case-a"
	if st := l.send(t, ann, "POST", gpath+"/decision", body, &res); st != 200 || res.Outcomes[0].Status != triage.MemberConfirmed {
		t.Fatalf("decision: %d %+v", st, res)
	}
	for c, want := range map[string]bool{"case-a": true, "case-b": false} {
		for _, f := range []string{"vics", "csv"} {
			b, _ := io.ReadAll(l.raw(t, "GET", "/api/v1/cases/"+c+"/review/export?format="+f).Body)
			if strings.Contains(string(b), "informant 7") != want || strings.Contains(string(b), "SERIES-A") != want {
				t.Errorf("%s %s export holds case A's note: %v, want %v: %s", c, f, !want, want, b)
			}
		}
	}
	l.waitMatch(t, img, "vic-us:1")

	// Defect 10: undo while holding the group; the entry is withdrawn.
	var undone struct {
		Outcomes  []api.OutcomeJSON `json:"outcomes"`
		Version   int               `json:"version"`
		Withdrawn []int64           `json:"withdrawn"`
	}
	if st := l.send(t, judge, "POST", gpath+"/undo", nil, nil); st != 409 {
		t.Errorf("undo by someone not holding the group: %d", st)
	}
	if st := l.send(t, ann, "POST", gpath+"/undo", map[string]any{"members": []string{tile.SHA256}}, &undone); st != 200 ||
		undone.Outcomes[0].Status != triage.MemberPending || len(undone.Withdrawn) != 1 || undone.Version != 2 {
		t.Fatalf("undo: %d %+v", st, undone)
	}
	l.waitMatch(t, img, "")
	if st := l.send(t, ann, "POST", gpath+"/decision", api.DecisionBody{Category: "2"}, &res); st != 200 || res.Outcomes[0].Entry != 1 {
		t.Fatalf("decision after undo: %d %+v", st, res)
	}
	l.send(t, ann, "POST", gpath+"/release", nil, nil)
	if st := l.send(t, ann, "POST", gpath+"/undo", nil, nil); st != 409 {
		t.Errorf("undo after release: %d", st)
	}
	l.waitMatch(t, img, "vic-us:2")

	// The adjudicator overturns it, with a reason.
	g := l.groupDetail(t, judge, tile.GroupID)
	mpath := fmt.Sprintf("/api/v1/review/members/%d/overturn", g.Members[0].ID)
	if st := l.send(t, ann, "POST", mpath, map[string]string{"category": "3", "reason": "x"}, nil); st != 403 {
		t.Errorf("reviewer overturns: %d", st)
	}
	if st := l.send(t, judge, "POST", mpath, map[string]string{"category": "3"}, nil); st != 400 {
		t.Errorf("overturn without a reason: %d", st)
	}
	var ov struct {
		Previous, Category string
		Withdrawn, Entry   int64
		Version            int
	}
	if st := l.send(t, judge, "POST", mpath, map[string]string{"category": "3", "reason": "benign on second look"}, &ov); st != 200 ||
		ov.Previous != "vic-us:2" || ov.Category != "vic-us:3" || ov.Withdrawn != 1 || ov.Entry != 2 || ov.Version != 4 {
		t.Fatalf("overturn: %d %+v", st, ov)
	}
	l.waitMatch(t, img, "vic-us:3")
	if g := l.groupDetail(t, ann, tile.GroupID); g.Members[0].Decision == nil || g.Members[0].Decision.Category != "vic-us:3" ||
		g.Members[0].Decision.Previous != "vic-us:2" {
		t.Errorf("decision after overturn: %+v", g.Members[0].Decision)
	}
	var ls struct {
		Versions []triage.LocalSetVersion `json:"versions"`
	}
	l.send(t, ann, "GET", "/api/v1/review/localset", nil, &ls)
	if len(ls.Versions) != 4 || ls.Versions[0].Withdrawn != 1 || ls.Versions[2].Withdrawn != 1 {
		t.Errorf("local set versions %+v", ls.Versions)
	}

	// The preview: reduced, never the original.
	resp := l.raw(t, "GET", fmt.Sprintf("/api/v1/items/%d/preview", itemA.ID))
	pb, _ := io.ReadAll(resp.Body)
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(pb)); err != nil || resp.StatusCode != 200 || cfg.Width != api.PreviewSide || cfg.Height != 768 {
		t.Errorf("preview: %d %+v %v", resp.StatusCode, cfg, err)
	}
	// Turning the blur off is audited.
	if st := l.send(t, ann, "PUT", "/api/v1/me/settings", map[string]any{"blur": 0}, nil); st != 200 {
		t.Errorf("blur off: %d", st)
	}
	for action, want := range map[string]string{triage.AuditDecision: "case-a", triage.AuditReviewUndo: tile.SHA256,
		triage.AuditWithdraw: "undo", triage.AuditOverturn: "benign on second look", triage.AuditWellness: "true"} {
		var evs struct{ Events []triage.AuditEvent }
		l.send(t, "", "GET", "/api/v1/audit?action="+action, nil, &evs)
		found := false
		for _, ev := range evs.Events {
			for _, v := range ev.Detail {
				found = found || strings.Contains(v, want)
			}
		}
		if !found {
			t.Errorf("audit %s: no event with %q: %+v", action, want, evs.Events)
		}
	}
}

// TestReviewPromotedRegions: an image confirmed in review is promoted
// with its centre region (the worker hashes it, the item keeps it), so a
// copy cropped by 10% on every side, uploaded later, is a variant through
// the local set entry's region, and the API returns the match's region.
func TestReviewPromotedRegions(t *testing.T) {
	l := startLab(t, labEnv(t))
	dirA, dirB := t.TempDir(), t.TempDir()
	const seed = 47
	writeFile(t, filepath.Join(dirA, "DCIM/p.jpg"), triagetest.PhotoJPEG(640, 480, seed, 92))
	if s := l.submitDir(t, "case-a", "phone", dirA); s.Verdicts["new"] != 1 {
		t.Fatalf("case A: %+v", s)
	}
	q := l.queue(t, "", "new")
	if len(q.Groups) != 1 {
		t.Fatalf("queue: %+v", q)
	}
	var res struct {
		Outcomes []triage.MemberOutcome `json:"outcomes"`
	}
	if st := l.send(t, "", "POST", fmt.Sprintf("/api/v1/review/groups/%d/decision", q.Groups[0].ID),
		api.DecisionBody{Category: "vic-us:1", Claim: true}, &res); st != 200 || res.Outcomes[0].Status != triage.MemberConfirmed {
		t.Fatalf("decision: %d %+v", st, res)
	}
	photo := triagetest.Photo(640, 480, seed)
	crop := image.NewRGBA(image.Rect(0, 0, 512, 384))
	draw.Draw(crop, crop.Bounds(), photo, image.Pt(64, 48), draw.Src)
	var b bytes.Buffer
	jpeg.Encode(&b, crop, &jpeg.Options{Quality: 85})
	l.waitPromoted(t, b.Bytes()) // the crop matches only through the region

	got := l.submitPromotedVariant(t, dirB, b.Bytes(), "centre")
	regions := 0
	for _, m := range got.Matches {
		if m.Set == "winnow-local" && m.Region == "centre" {
			regions++
		}
	}
	if regions != 2 { // PDQ and pHash agree on the region
		t.Errorf("matches %+v, want PDQ and pHash on the local entry's centre region", got.Matches)
	}
	var view struct {
		Known []api.KnownJSON `json:"known"`
	}
	if st := l.send(t, "", "GET", fmt.Sprintf("/api/v1/review/items/%d", got.ID), nil, &view); st != 200 {
		t.Fatalf("review item: %d", st)
	}
	if len(view.Known) == 0 || view.Known[0].Region != "centre" || view.Known[0].Set != "winnow-local" {
		t.Errorf("review item's known entries %+v", view.Known)
	}
}
