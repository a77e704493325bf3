package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/storage/postgres"
	"github.com/winnow-forensics/winnow/storage/servicetest"
	"github.com/winnow-forensics/winnow/triage"
)

func TestMain(m *testing.M) { servicetest.Main(m) }

// clock is the store's injected time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestReviewLeaseExpiry runs the claim endpoints on a real PostgreSQL
// with an injected clock: a lease runs out without anyone sleeping.
func TestReviewLeaseExpiry(t *testing.T) {
	ctx := context.Background()
	pg := servicetest.MustPostgres(t)
	clk := &clock{t: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)}
	st, err := postgres.Open(ctx, postgres.Config{URL: pg.URL, Schema: pg.Schema, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tokens := map[string]string{}
	for _, name := range []string{"ann", "bob"} {
		u := triage.User{Name: name, Role: triage.RoleReviewer}
		if err := st.CreateUser(ctx, &u, nil); err != nil {
			t.Fatal(err)
		}
		secret, hash := triage.NewTokenSecret()
		if err := st.CreateToken(ctx, &triage.Token{UserID: u.ID, Hash: hash}, nil); err != nil {
			t.Fatal(err)
		}
		tokens[name] = secret
	}
	c := triage.Case{Name: "c"}
	st.EnsureCase(ctx, &c)
	for _, name := range []string{"ann", "bob"} {
		u, _ := st.UserByName(ctx, name)
		st.AddCaseMember(ctx, c.ID, u.ID, nil)
	}
	e := triage.Exhibit{CaseID: c.ID, Name: "e"}
	st.EnsureExhibit(ctx, &e)
	fp := triage.Fingerprint{Size: 10, Type: triage.MediaType{MIME: "image/jpeg", Kind: triage.KindImage}, Width: 100, Height: 100,
		Perceptual: true, PDQQuality: 100}
	fp.SHA256[0], fp.PDQ[0] = 7, 7
	fp.PDQDihedral[0] = fp.PDQ
	it := triage.Item{ExhibitID: e.ID, Path: "a.jpg", Size: 10, Digests: fp.Digests}
	if _, err := st.CreateItem(ctx, &it, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.FinishItem(ctx, it.ID, triage.ItemResult{Fingerprint: &fp, Decision: triage.Decision{Verdict: triage.VerdictNew}}); err != nil {
		t.Fatal(err)
	}
	view, err := st.ReviewItem(ctx, triage.Viewer{All: true}, it.ID)
	if err != nil || view.GroupID == 0 {
		t.Fatalf("item not in review: %v", err)
	}
	srv := httptest.NewServer(api.New(api.Config{Cases: st, Items: st, Users: st, Audit: st, Sets: st, Reviews: st, Access: st,
		Sessions: st, Wellness: st, Review: api.ReviewConfig{Lease: 5 * time.Minute}}))
	defer srv.Close()
	post := func(who, what string) int {
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/review/groups/%d/%s", srv.URL, view.GroupID, what), nil)
		req.Header.Set("Authorization", "Bearer "+tokens[who])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, step := range []struct {
		advance   time.Duration
		who, what string
		want      int
	}{
		{0, "ann", "claim", 200},
		{0, "bob", "claim", 409},
		{4 * time.Minute, "ann", "heartbeat", 200}, // lease now ends at 9 minutes
		{4 * time.Minute, "bob", "claim", 409},     // 8 minutes: still ann's
		{2 * time.Minute, "ann", "heartbeat", 409}, // 10 minutes: ran out
		{0, "bob", "claim", 200},
		{0, "ann", "release", 409},
		{0, "bob", "release", 204},
		{0, "ann", "claim", 200},
	} {
		clk.advance(step.advance)
		if got := post(step.who, step.what); got != step.want {
			t.Errorf("%s %s at %s: %d, want %d", step.who, step.what, clk.now().Format("15:04"), got, step.want)
		}
	}
}
