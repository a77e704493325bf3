package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/jpeg"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
)

// The review workspace's endpoints (issue 17): the queue as tiles with
// filters, sorting and paging; undo and overturn of decisions; a reduced
// preview for the reveal, so the browser never receives the original
// until it is asked for.

// rescoreEvery is how often the queue's requests bring the stored group
// priorities up to date (changed groups at once, all groups daily for the
// recency term); rescoreBatch is how many groups a request waits for
// (after a large upload the rest are scored in the background, and sort
// last until they are).
const (
	rescoreEvery = 2 * time.Second
	rescoreBatch = 1000
)

// rescore scores the groups that changed since they were last scored.
func (s *Server) rescore(ctx context.Context) error {
	now := time.Now()
	last := s.scoredAt.Load()
	if now.UnixNano()-last < int64(rescoreEvery) || !s.scoredAt.CompareAndSwap(last, now.UnixNano()) {
		return nil
	}
	w := s.cfg.Review.Weights
	score := func(f triage.PriorityFeatures) float64 { return w.Score(f, now).Total }
	stale := now.Add(-24 * time.Hour)
	n, err := s.cfg.Reviews.RescoreGroups(ctx, score, stale, rescoreBatch)
	if err != nil || n < rescoreBatch || !s.rescoring.CompareAndSwap(false, true) {
		return err
	}
	go func() {
		defer s.rescoring.Store(false)
		bg := context.WithoutCancel(ctx)
		for {
			n, err := s.cfg.Reviews.RescoreGroups(bg, score, stale, rescoreBatch)
			if err != nil {
				s.log.WarnContext(bg, "review priorities not rescored", "err", err)
				return
			}
			if n < rescoreBatch {
				return
			}
		}
	}()
	return nil
}

// TileJSON is a tile of the workspace grid.
type TileJSON struct {
	triage.Tile
	SHA256    string `json:"sha256"`
	Suggested string `json:"suggested,omitempty"`
	MyVote    string `json:"my_vote,omitempty"`
	Decision  string `json:"decision,omitempty"`
	Thumbnail string `json:"thumbnail"`
	// Cursor is the tile's place in the sort: "after" it asks for the
	// tiles that follow.
	Cursor string `json:"cursor"`
}

// cursorOf encodes a tile's key for the after parameter.
func cursorOf(t *triage.Tile) string {
	b, _ := json.Marshal(t.Key())
	return base64.RawURLEncoding.EncodeToString(b)
}

// tileQuery reads a TileQuery from the URL's query: the same names the UI
// puts in its own URL, so a view can be shared.
func tileQuery(c *gin.Context) (triage.TileQuery, error) {
	q := triage.TileQuery{Lane: triage.Lane(c.Query("lane")), State: c.Query("state"), Category: c.Query("category"),
		Case: c.Query("case"), Exhibit: c.Query("exhibit"), Path: c.Query("path"), Kind: c.Query("kind"), GPS: c.Query("gps"),
		Make: c.Query("make"), Model: c.Query("model"), Serial: c.Query("serial"), Device: c.Query("device"),
		Series: c.Query("series"), Sort: c.Query("sort"), Desc: c.Query("desc") == "1", Count: c.Query("count") == "1", Limit: 200}
	ints := map[string]*int{"offset": &q.Offset, "limit": &q.Limit}
	for name, dst := range ints {
		if v := c.Query(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return q, triage.Errorf(triage.EINVALID, "%s=%q is not a number", name, v)
			}
			*dst = n
		}
	}
	int64s := map[string]*int64{"group": &q.GroupID, "min_size": &q.MinSize, "max_size": &q.MaxSize}
	for name, dst := range int64s {
		if v := c.Query(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return q, triage.Errorf(triage.EINVALID, "%s=%q is not a number", name, v)
			}
			*dst = n
		}
	}
	dates := map[string]*time.Time{"from": &q.From, "to": &q.To}
	for name, dst := range dates {
		if v := c.Query(name); v != "" {
			t, err := time.Parse("2006-01-02", v)
			if err != nil {
				return q, triage.Errorf(triage.EINVALID, "%s=%q: want a date YYYY-MM-DD", name, v)
			}
			*dst = t
		}
	}
	if !q.To.IsZero() {
		q.To = q.To.AddDate(0, 0, 1) // "to" is the last day included
	}
	if a := c.Query("after"); a != "" {
		b, err := base64.RawURLEncoding.DecodeString(a)
		var k triage.TileKey
		if err != nil || len(b) > 4096 || json.Unmarshal(b, &k) != nil {
			return q, triage.Errorf(triage.EINVALID, "after=%q is not a tile cursor", a)
		}
		q.After = &k
	}
	if q.Category != "" && !strings.Contains(q.Category, ":") {
		return q, triage.Errorf(triage.EINVALID, "category %q: want SCHEME:CODE", q.Category)
	}
	return q, q.Validate()
}

// handleReviewTiles lists the queue as tiles, one per distinct content the
// user may see: filters lane, state, category, group, case, exhibit,
// path, kind, gps, make, model, serial, device, from, to (dates),
// min_size, max_size, series; sort (priority, date, path, size) and desc;
// offset and limit (default 200, at most 1000), or after (a tile's
// cursor) and limit; count=1 adds the total.
//
//	GET /api/v1/review/tiles
func (s *Server) handleReviewTiles(c *gin.Context) {
	q, err := tileQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if err := s.rescore(ctx); err != nil {
		// Stale priorities still list every tile: say so and go on.
		s.log.WarnContext(ctx, "review priorities not rescored", "err", err)
	}
	_, v := viewer(c)
	page, err := s.cfg.Reviews.ReviewTiles(ctx, v, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]TileJSON, len(page.Tiles))
	for i, t := range page.Tiles {
		out[i] = TileJSON{Tile: t, SHA256: t.SHA256.String(), Suggested: t.Suggested.String(), MyVote: t.MyVote.String(),
			Decision: t.Decision.String(), Thumbnail: "/api/v1/items/" + strconv.FormatInt(t.Item.ItemID, 10) + "/thumbnail", Cursor: cursorOf(&t)}
	}
	c.JSON(http.StatusOK, gin.H{"tiles": out, "total": page.Total, "offset": q.Offset, "limit": q.Limit})
}

// handleUndo takes back the user's own decisions on members of a group
// they hold, made since they claimed it: {"members": [SHA-256...]}
// (default: all of them). Votes are tallied again, and entries the undone
// decisions had promoted are withdrawn from the local set in a new
// version.
//
//	POST /api/v1/review/groups/{id}/undo
func (s *Server) handleUndo(c *gin.Context) {
	id, err := idParam(c, "group")
	if err != nil {
		s.fail(c, err)
		return
	}
	var b struct {
		Members []string `json:"members"`
	}
	if err := bindJSON(c, &b); err != nil {
		s.fail(c, err)
		return
	}
	var ms []triage.SHA256
	for _, m := range b.Members {
		sum, err := triage.ParseSHA256(strings.ToLower(m))
		if err != nil {
			s.fail(c, err)
			return
		}
		ms = append(ms, sum)
	}
	u, _ := viewer(c)
	group := strconv.FormatInt(id, 10)
	audit := func(res triage.UndoResult) []triage.AuditEvent {
		var shas, statuses []string
		for _, o := range res.Outcomes {
			shas, statuses = append(shas, o.SHA256.String()), append(statuses, string(o.Status))
		}
		evs := []triage.AuditEvent{s.auditEvent(c, triage.AuditReviewUndo, "review/group/"+group, map[string]string{
			"members": strings.Join(shas, ","), "outcomes": strings.Join(statuses, ",")})}
		if len(res.Withdrawn) > 0 {
			evs = append(evs, s.auditEvent(c, triage.AuditWithdraw, "hashset/"+s.cfg.Review.LocalSet, map[string]string{
				"version": strconv.Itoa(res.Version), "entries": joinInts(res.Withdrawn), "reason": "undo", "group": group}))
		}
		return evs
	}
	res, err := s.cfg.Reviews.Undo(c.Request.Context(), triage.UndoRequest{GroupID: id, Reviewer: u, Members: ms,
		Required: s.cfg.Review.RequiredVotes, LocalSet: s.cfg.Review.LocalSet, Audit: audit})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"outcomes": outcomesJSON(res.Outcomes), "version": res.Version, "withdrawn": nonNil(res.Withdrawn),
		"local_set": s.cfg.Review.LocalSet})
}

func joinInts(ns []int64) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(s, ",")
}

// handleOverturn lets an adjudicator replace the category of a confirmed
// member, with a reason: {"category": "vic-us:2", "reason": "..."}. The
// local-set entry promoted with the old category is withdrawn and the
// content promoted again, in one new version.
//
//	POST /api/v1/review/members/{id}/overturn
func (s *Server) handleOverturn(c *gin.Context) {
	id, err := idParam(c, "member")
	if err != nil {
		s.fail(c, err)
		return
	}
	var b struct {
		Category string `json:"category"`
		Reason   string `json:"reason"`
	}
	if err := bindJSON(c, &b); err != nil {
		s.fail(c, err)
		return
	}
	vote, _, err := parseDecision(DecisionBody{Category: b.Category}, s.cfg.Review.Keys.Scheme)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if err := s.ensureLocalSet(ctx); err != nil {
		s.fail(c, err)
		return
	}
	u, _ := viewer(c)
	reason, member := strings.TrimSpace(b.Reason), strconv.FormatInt(id, 10)
	audit := func(res triage.OverturnResult) []triage.AuditEvent {
		evs := []triage.AuditEvent{s.auditEvent(c, triage.AuditOverturn, "review/member/"+member, map[string]string{
			"sha256": res.SHA256.String(), "previous": res.Previous, "category": res.Category, "reason": reason})}
		if res.Withdrawn >= 0 {
			evs = append(evs, s.auditEvent(c, triage.AuditWithdraw, "hashset/"+s.cfg.Review.LocalSet, map[string]string{
				"version": strconv.Itoa(res.Version), "entries": strconv.FormatInt(res.Withdrawn, 10), "reason": "overturn", "member": member}))
		}
		return append(evs, s.auditEvent(c, triage.AuditPromote, "hashset/"+s.cfg.Review.LocalSet, map[string]string{
			"version": strconv.Itoa(res.Version), "entries": strconv.FormatInt(res.Entry, 10), "member": member}))
	}
	res, err := s.cfg.Reviews.Overturn(ctx, triage.OverturnRequest{MemberID: id, Adjudicator: u, Category: vote.Category,
		Reason: reason, LocalSet: s.cfg.Review.LocalSet, Audit: audit})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, struct {
		triage.OverturnResult
		SHA256   string `json:"sha256"`
		LocalSet string `json:"local_set"`
	}{res, res.SHA256.String(), s.cfg.Review.LocalSet})
}

// PreviewSide is the longer side, in pixels, of the preview the item
// panel shows when the user reveals an image.
const PreviewSide = 1024

// handleItemPreview returns a reduced JPEG of an image (at most
// PreviewSide pixels a side, turned upright by its EXIF orientation), for
// the reveal in the item panel: the browser gets what it shows, never the
// original. Media access is audited.
//
//	GET /api/v1/items/{id}/preview
func (s *Server) handleItemPreview(c *gin.Context) {
	it, err := s.itemOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if it.Kind != triage.KindImage.String() {
		s.fail(c, triage.Errorf(triage.EUNSUPPORTED, "item %d is a %s: previews are for images", it.ID, it.Kind))
		return
	}
	ctx := c.Request.Context()
	rc, info, err := s.cfg.Evidence.Get(ctx, it.SHA256)
	if err != nil {
		s.fail(c, err)
		return
	}
	b, err := io.ReadAll(io.LimitReader(rc, hashing.DefaultLimits.MaxImageBytes+1))
	rc.Close()
	if err != nil {
		s.fail(c, err)
		return
	}
	if int64(len(b)) != info.Size {
		s.fail(c, triage.Errorf(triage.ETOOLARGE, "item %d is %d bytes, over the preview limit", it.ID, info.Size))
		return
	}
	img, release, err := s.previewer.DecodeImage(ctx, b)
	if err != nil {
		s.fail(c, err)
		return
	}
	orient := hashing.ViewOrientation(triage.MediaType{MIME: it.MIME}, it.EXIF["Orientation"])
	small := hashing.Orient(hashing.Downscale(img, PreviewSide), orient)
	release()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, small, &jpeg.Options{Quality: 85}); err != nil {
		s.fail(c, err)
		return
	}
	if !s.auditRead(c, triage.AuditMediaAccess, "item/"+strconv.FormatInt(it.ID, 10), map[string]string{"what": "preview"}) {
		return
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "image/jpeg", buf.Bytes())
}
