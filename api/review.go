package api

import (
	"context"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/review"
	"github.com/winnow-forensics/winnow/triage/wire"
)

// ReviewConfig configures the review queue and the web UI. Zero fields
// take the defaults.
type ReviewConfig struct {
	// RequiredVotes is how many independent reviewers must agree before a
	// member is confirmed (default 1; CAID works with 3).
	RequiredVotes int
	// Weights weigh the priority score (default DefaultPriorityWeights).
	Weights *triage.PriorityWeights
	// Keys is the category scheme reviewers decide in and its keyboard
	// keys (default: vic-us, keys 0-4).
	Keys triage.CategoryKeys
	// LocalSet names the local hash set confirmed content is promoted
	// into (default "winnow-local").
	LocalSet string
	// Lease is how long a claim lasts without a heartbeat (default 10
	// minutes).
	Lease time.Duration
	// SessionIdle ends a session unused for this long (default 30
	// minutes); SessionMax ends every session this long after login
	// (default 12 hours).
	SessionIdle time.Duration
	SessionMax  time.Duration
	// InsecureCookies drops the Secure attribute of the session cookie,
	// for plain-HTTP development on a non-loopback address. Browsers send
	// Secure cookies to http://localhost and 127.0.0.1 anyway.
	InsecureCookies bool
}

func (r ReviewConfig) withDefaults() ReviewConfig {
	if r.RequiredVotes <= 0 {
		r.RequiredVotes = 1
	}
	if r.Weights == nil {
		w := triage.DefaultPriorityWeights()
		r.Weights = &w
	}
	if r.Keys.Scheme == "" {
		r.Keys, _ = triage.DefaultCategoryKeys(triage.SchemeVICUS)
	}
	if r.LocalSet == "" {
		r.LocalSet = "winnow-local"
	}
	if r.Lease <= 0 {
		r.Lease = 10 * time.Minute
	}
	if r.SessionIdle <= 0 {
		r.SessionIdle = 30 * time.Minute
	}
	if r.SessionMax <= 0 {
		r.SessionMax = 12 * time.Hour
	}
	return r
}

// ContentSecurityPolicy is sent with every response: scripts, styles and
// media only from the server itself, no inline script, no frames, no
// plugins, nothing from anywhere else (so no CDN, fonts or map tiles).
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; " +
	"media-src 'self' blob:; connect-src 'self'; font-src 'none'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the CSP and friends on every response, and
// Cache-Control: no-store on everything but the UI's static files (media,
// EXIF and paths must not linger in browser or proxy caches).
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if strings.HasPrefix(path.Clean(c.Request.URL.Path), "/ui/static/") {
		h.Set("Cache-Control", "no-cache")
	} else {
		h.Set("Cache-Control", "no-store")
	}
	c.Next()
}

func viewer(c *gin.Context) (triage.User, triage.Viewer) {
	u, _ := UserFromContext(c.Request.Context())
	return u, triage.ViewerOf(u)
}

func idParam(c *gin.Context, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, triage.Errorf(triage.EINVALID, "%s id %q is not a number", what, c.Param("id"))
	}
	return id, nil
}

// ReviewConfigJSON is what the UI needs to know of the configuration.
type ReviewConfigJSON struct {
	Scheme        string                 `json:"scheme"`
	Keys          map[string]string      `json:"keys"`
	Labels        map[string]string      `json:"labels"`
	RequiredVotes int                    `json:"required_votes"`
	Weights       triage.PriorityWeights `json:"weights"`
	LeaseSeconds  int                    `json:"lease_seconds"`
	LocalSet      string                 `json:"local_set"`
	Lanes         []triage.Lane          `json:"lanes"`
}

// handleReviewConfig returns the review configuration: the category
// scheme and its keys, the votes needed, the priority weights, the lease.
//
//	GET /api/v1/review/config
func (s *Server) handleReviewConfig(c *gin.Context) {
	r := s.cfg.Review
	j := ReviewConfigJSON{Scheme: r.Keys.Scheme, Keys: r.Keys.Keys, Labels: map[string]string{}, RequiredVotes: r.RequiredVotes,
		Weights: *r.Weights, LeaseSeconds: int(r.Lease.Seconds()), LocalSet: r.LocalSet, Lanes: triage.Lanes}
	if sc, ok := triage.LookupScheme(r.Keys.Scheme); ok {
		j.Labels = sc.Labels
	}
	c.JSON(http.StatusOK, j)
}

// GroupJSON is a queue group with its score breakdown.
type GroupJSON struct {
	triage.ReviewGroup
	Thumbnail string `json:"thumbnail"`
}

// handleReviewLanes lists the lanes with how many groups wait in each for
// the user.
//
//	GET /api/v1/review/lanes
func (s *Server) handleReviewLanes(c *gin.Context) {
	ctx := c.Request.Context()
	_, v := viewer(c)
	type laneJSON struct {
		Lane   triage.Lane `json:"lane"`
		Groups int         `json:"groups"`
	}
	var out []laneJSON
	for _, l := range triage.Lanes {
		if l == triage.LaneAdjudication && !v.Adjudicator {
			continue
		}
		_, n, err := s.cfg.Reviews.ReviewQueue(ctx, v, triage.QueueQuery{Lane: l, Limit: 1, Count: true})
		if err != nil {
			s.fail(c, err)
			return
		}
		out = append(out, laneJSON{l, n})
	}
	c.JSON(http.StatusOK, gin.H{"lanes": out})
}

// handleReviewQueue lists a lane's groups by priority, each with the
// breakdown of its score: lane (new, variant, adjudication; default new),
// offset, limit (default 50, at most 500). Groups are ordered by the
// priority computed over the whole lab; the breakdown shows it over what
// the user may see.
//
//	GET /api/v1/review/queue
func (s *Server) handleReviewQueue(c *gin.Context) {
	lane := triage.LaneNew
	if v := c.Query("lane"); v != "" {
		l, err := triage.ParseLane(v)
		if err != nil {
			s.fail(c, err)
			return
		}
		lane = l
	}
	offset, limit := 0, 50
	for name, dst := range map[string]*int{"offset": &offset, "limit": &limit} {
		if v := c.Query(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || (name == "limit" && (n < 1 || n > 500)) {
				s.fail(c, triage.Errorf(triage.EINVALID, "%s=%q is out of range", name, v))
				return
			}
			*dst = n
		}
	}
	ctx := c.Request.Context()
	if err := s.rescore(ctx); err != nil {
		s.log.WarnContext(ctx, "review priorities not rescored", "err", err)
	}
	_, v := viewer(c)
	gs, total, err := s.cfg.Reviews.ReviewQueue(ctx, v, triage.QueueQuery{Lane: lane, Offset: offset, Limit: limit, Count: true})
	if err != nil {
		s.fail(c, err)
		return
	}
	now := time.Now()
	out := make([]GroupJSON, len(gs))
	for i, g := range gs {
		g.Priority = s.cfg.Review.Weights.Score(g.Features, now)
		out[i] = GroupJSON{ReviewGroup: g, Thumbnail: "/api/v1/items/" + strconv.FormatInt(g.Representative, 10) + "/thumbnail"}
	}
	c.JSON(http.StatusOK, gin.H{"lane": lane, "total": total, "groups": out})
}

// MemberJSON is a group member as the API shows it.
type MemberJSON struct {
	triage.ReviewMember
	SHA256    string        `json:"sha256"`
	Suggested string        `json:"suggested,omitempty"`
	MyVote    *VoteJSON     `json:"my_vote,omitempty"`
	Decision  *DecisionJSON `json:"decision,omitempty"`
}

// VoteJSON is a vote with its category spelled out.
type VoteJSON struct {
	triage.Vote
	Category string `json:"category"`
}

// DecisionJSON is a decision with its category spelled out (and the one
// an overturn replaced).
type DecisionJSON struct {
	triage.ReviewDecision
	Category string `json:"category"`
	Label    string `json:"label"`
	Previous string `json:"previous,omitempty"`
}

func memberJSON(m triage.ReviewMember) MemberJSON {
	j := MemberJSON{ReviewMember: m, SHA256: m.SHA256.String(), Suggested: m.Suggested.String()}
	if m.MyVote != nil {
		j.MyVote = &VoteJSON{Vote: *m.MyVote, Category: m.MyVote.Category.String()}
	}
	if m.Decision != nil {
		j.Decision = &DecisionJSON{ReviewDecision: *m.Decision, Category: m.Decision.Category.String(), Label: m.Decision.Category.Label()}
		if o := m.Decision.Overturn; o != nil {
			j.Decision.Previous = o.Previous.String()
		}
	}
	return j
}

// handleReviewGroup returns a group with its members (the distinct
// contents the user may see, each with its items), the user's votes and
// the decisions, and the score breakdown.
//
//	GET /api/v1/review/groups/{id}
func (s *Server) handleReviewGroup(c *gin.Context) {
	id, err := idParam(c, "group")
	if err != nil {
		s.fail(c, err)
		return
	}
	_, v := viewer(c)
	g, err := s.cfg.Reviews.ReviewGroup(c.Request.Context(), v, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	g.Priority = s.cfg.Review.Weights.Score(g.Features, time.Now())
	ms := make([]MemberJSON, len(g.MemberList))
	for i, m := range g.MemberList {
		ms[i] = memberJSON(m)
	}
	c.JSON(http.StatusOK, gin.H{"group": g.ReviewGroup, "members": ms})
}

// handleClaimGroup claims a group for the user with a lease (409 if
// another reviewer holds it); claiming a group one holds extends it.
//
//	POST /api/v1/review/groups/{id}/claim
func (s *Server) handleClaimGroup(c *gin.Context) {
	id, err := idParam(c, "group")
	if err != nil {
		s.fail(c, err)
		return
	}
	_, v := viewer(c)
	cl, err := s.cfg.Reviews.ClaimGroup(c.Request.Context(), v, id, s.cfg.Review.Lease, func(cl triage.Claim) []triage.AuditEvent {
		return []triage.AuditEvent{s.auditEvent(c, triage.AuditReviewClaim, "review/group/"+strconv.FormatInt(id, 10),
			map[string]string{"lease_expires": cl.LeaseExpires.UTC().Format(time.RFC3339)})}
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, cl)
}

// handleHeartbeat extends the user's claim on a group (409 if they no
// longer hold it).
//
//	POST /api/v1/review/groups/{id}/heartbeat
func (s *Server) handleHeartbeat(c *gin.Context) {
	id, err := idParam(c, "group")
	if err != nil {
		s.fail(c, err)
		return
	}
	_, v := viewer(c)
	cl, err := s.cfg.Reviews.ExtendClaim(c.Request.Context(), v, id, s.cfg.Review.Lease)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, cl)
}

// handleReleaseGroup gives a group back to the queue (administrators may
// release anyone's claim).
//
//	POST /api/v1/review/groups/{id}/release
func (s *Server) handleReleaseGroup(c *gin.Context) {
	id, err := idParam(c, "group")
	if err != nil {
		s.fail(c, err)
		return
	}
	_, v := viewer(c)
	if err := s.cfg.Reviews.ReleaseGroup(c.Request.Context(), v, id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// DecisionBody is the body of a decision: the category (SCHEME:CODE, or a
// bare code of the configured scheme), series, flags, tags and notes; the
// members it applies to (SHA-256s; default: every member waiting for the
// user's vote, or with adjudicate, every member in adjudication).
//
// Series, flags, tags and notes belong to a case: "case" names it, and may
// be left out when every member decided is in one case the user may see.
// With "claim": true a group no one holds is claimed first.
type DecisionBody struct {
	Category   string             `json:"category"`
	Case       string             `json:"case"`
	Claim      bool               `json:"claim"`
	Series     string             `json:"series"`
	Flags      triage.ReviewFlags `json:"flags"`
	Tags       []string           `json:"tags"`
	Notes      string             `json:"notes"`
	Members    []string           `json:"members"`
	Adjudicate bool               `json:"adjudicate"`
}

// parseDecision turns a decision body into a vote and the members it is
// for, checking it against the configured scheme.
func parseDecision(b DecisionBody, scheme string) (triage.Vote, []triage.SHA256, error) {
	var v triage.Vote
	cat := strings.TrimSpace(b.Category)
	if cat == "" {
		return v, nil, triage.Errorf(triage.EINVALID, "a decision needs a category (e.g. %s:1)", scheme)
	}
	if !strings.Contains(cat, ":") {
		cat = scheme + ":" + cat
	}
	var err error
	if v.Category, err = triage.ParseCategory(cat); err != nil {
		return v, nil, err
	}
	v.Series, v.Flags, v.Notes = strings.TrimSpace(b.Series), b.Flags, b.Notes
	for _, t := range b.Tags {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(v.Tags, t) {
			v.Tags = append(v.Tags, t)
		}
	}
	if err := v.Validate(scheme); err != nil {
		return v, nil, err
	}
	if len(b.Members) > 10000 {
		return v, nil, triage.Errorf(triage.EINVALID, "more than 10000 members in one decision")
	}
	var ms []triage.SHA256
	for _, m := range b.Members {
		sum, err := triage.ParseSHA256(strings.ToLower(m))
		if err != nil {
			return v, nil, err
		}
		ms = append(ms, sum)
	}
	return v, ms, nil
}

// decide records a decision on members of a group with its audit events
// (one transaction).
func (s *Server) decide(c *gin.Context, groupID int64, b DecisionBody, members []triage.SHA256, vote triage.Vote) {
	ctx := c.Request.Context()
	if err := s.ensureLocalSet(ctx); err != nil {
		s.fail(c, err)
		return
	}
	u, _ := viewer(c)
	action := triage.AuditDecision
	if b.Adjudicate {
		action = triage.AuditAdjudicate
	}
	group := strconv.FormatInt(groupID, 10)
	audit := func(res triage.DecideResult) []triage.AuditEvent {
		var shas, statuses []string
		promoted := 0
		for _, o := range res.Outcomes {
			shas, statuses = append(shas, o.SHA256.String()), append(statuses, string(o.Status))
			if o.Entry >= 0 {
				promoted++
			}
		}
		evs := []triage.AuditEvent{s.auditEvent(c, action, "review/group/"+group, map[string]string{
			"category": vote.Category.String(), "members": strings.Join(shas, ","), "outcomes": strings.Join(statuses, ","),
			"flags": strings.Join(vote.Flags.Names(), ","), "series": vote.Series, "case": b.Case})}
		if promoted > 0 {
			evs = append(evs, s.auditEvent(c, triage.AuditPromote, "hashset/"+s.cfg.Review.LocalSet, map[string]string{
				"version": strconv.Itoa(res.Version), "entries": strconv.Itoa(promoted), "group": group}))
		}
		return evs
	}
	res, err := s.cfg.Reviews.Decide(ctx, triage.DecideRequest{GroupID: groupID, Reviewer: u, Members: members, Vote: vote,
		Required: s.cfg.Review.RequiredVotes, Adjudicate: b.Adjudicate, LocalSet: s.cfg.Review.LocalSet,
		Case: strings.TrimSpace(b.Case), Claim: b.Claim, Lease: s.cfg.Review.Lease, Audit: audit})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"outcomes": outcomesJSON(res.Outcomes), "version": res.Version, "local_set": s.cfg.Review.LocalSet})
}

// OutcomeJSON is what a decision or an undo did to one member.
type OutcomeJSON struct {
	triage.MemberOutcome
	SHA256 string `json:"sha256"`
}

func outcomesJSON(os []triage.MemberOutcome) []OutcomeJSON {
	out := make([]OutcomeJSON, len(os))
	for i, o := range os {
		out[i] = OutcomeJSON{o, o.SHA256.String()}
	}
	return out
}

// handleDecideGroup records the user's decision on members of a group
// they hold (409 otherwise): a vote, or with "adjudicate": true (admins
// and adjudicators) the final decision on members in adjudication.
// Members that reach the required agreeing votes are confirmed and
// promoted into the local hash set.
//
//	POST /api/v1/review/groups/{id}/decision
func (s *Server) handleDecideGroup(c *gin.Context) {
	id, err := idParam(c, "group")
	if err != nil {
		s.fail(c, err)
		return
	}
	var b DecisionBody
	if err := bindJSON(c, &b); err != nil {
		s.fail(c, err)
		return
	}
	vote, ms, err := parseDecision(b, s.cfg.Review.Keys.Scheme)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.decide(c, id, b, ms, vote)
}

// handleDecideItem is handleDecideGroup for the content of one item.
//
//	POST /api/v1/review/items/{id}/decision
func (s *Server) handleDecideItem(c *gin.Context) {
	id, err := idParam(c, "item")
	if err != nil {
		s.fail(c, err)
		return
	}
	var b DecisionBody
	if err := bindJSON(c, &b); err != nil {
		s.fail(c, err)
		return
	}
	b.Members = nil
	vote, _, err := parseDecision(b, s.cfg.Review.Keys.Scheme)
	if err != nil {
		s.fail(c, err)
		return
	}
	_, v := viewer(c)
	view, err := s.cfg.Reviews.ReviewItem(c.Request.Context(), v, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if view.Member == nil {
		s.fail(c, triage.Errorf(triage.ECONFLICT, "item %d is not in the review queue (its verdict is %s)", id, view.Item.Verdict))
		return
	}
	s.decide(c, view.GroupID, b, []triage.SHA256{view.Item.SHA256}, vote)
}

// handleMemberVotes lists the votes on a member (adjudicators and
// administrators: reviewers vote independently and do not see others'
// votes).
//
//	GET /api/v1/review/members/{id}/votes
func (s *Server) handleMemberVotes(c *gin.Context) {
	id, err := idParam(c, "member")
	if err != nil {
		s.fail(c, err)
		return
	}
	_, v := viewer(c)
	vs, err := s.cfg.Reviews.MemberVotes(c.Request.Context(), v, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]VoteJSON, len(vs))
	for i, vt := range vs {
		out[i] = VoteJSON{Vote: vt, Category: vt.Category.String()}
	}
	c.JSON(http.StatusOK, gin.H{"votes": out})
}

// handleReviewItem is the victim-identification item view: the item with
// its hashes and EXIF (make, model, serial numbers, lens, timestamps, GPS
// as numbers), original path and sibling files, the members of its series,
// and every other place, in cases the user may see, where this content or
// a near-duplicate appeared.
//
//	GET /api/v1/review/items/{id}
func (s *Server) handleReviewItem(c *gin.Context) {
	id, err := idParam(c, "item")
	if err != nil {
		s.fail(c, err)
		return
	}
	_, v := viewer(c)
	view, err := s.cfg.Reviews.ReviewItem(c.Request.Context(), v, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !s.auditMetadata(c, &view.Item, "review") {
		return
	}
	it := itemJSON(&view.Item)
	it.Case, it.Exhibit = view.Case, view.Exhibit
	it.addMatches(view.Matches)
	var member *MemberJSON
	if view.Member != nil {
		m := memberJSON(*view.Member)
		member = &m
	}
	series := make([]MemberJSON, len(view.Series))
	for i, m := range view.Series {
		series[i] = memberJSON(m)
	}
	c.JSON(http.StatusOK, gin.H{"item": it, "gps": gpsOf(view.Item.EXIF), "siblings": view.Siblings, "group_id": view.GroupID,
		"member": member, "series": series, "elsewhere": view.Elsewhere, "devices": view.Devices,
		"known": s.knownEntries(c.Request.Context(), view.Matches)})
}

// KnownJSON is the hash-set entry a match points at, for showing beside
// the item: what the set says of the known content, never its pixels.
type KnownJSON struct {
	wire.Match
	Name    string            `json:"name,omitempty"`
	Size    int64             `json:"size,omitempty"`
	Label   string            `json:"label,omitempty"`
	Tags    []string          `json:"tags,omitempty"`
	SHA256  string            `json:"sha256,omitempty"`
	MD5     string            `json:"md5,omitempty"`
	PDQ     string            `json:"pdq,omitempty"`
	Extra   map[string]string `json:"extra,omitempty"`
	Missing bool              `json:"missing,omitempty"`
}

// knownEntries looks up the entries of an item's first matches (at most
// 10) in their sets.
func (s *Server) knownEntries(ctx context.Context, ms []triage.MatchRecord) []KnownJSON {
	out := []KnownJSON{}
	for _, m := range ms[:min(len(ms), 10)] {
		k := KnownJSON{Match: wire.MatchOf(m.Match)}
		st, err := s.cfg.Sets.Set(ctx, m.Set)
		var es []triage.Entry
		if err == nil {
			es, err = s.cfg.Sets.SetEntries(ctx, st.ID, int64(m.Entry), int64(m.Entry)+1)
		}
		if err != nil || len(es) != 1 {
			k.Missing = true
			out = append(out, k)
			continue
		}
		e := es[0]
		k.Name, k.Size, k.Label, k.Tags, k.Extra = e.Name, e.Size, e.Category.Label(), e.Tags, e.Extra
		if e.Algos.Has(triage.AlgoSHA256) {
			k.SHA256 = e.SHA256.String()
		}
		if e.Algos.Has(triage.AlgoMD5) {
			k.MD5 = e.MD5.String()
		}
		if e.Algos.Has(triage.AlgoPDQ) {
			k.PDQ = e.PDQ.String()
		}
		out = append(out, k)
	}
	return out
}

// gpsOf returns the GPS position of an EXIF summary as numbers (nil when
// there is none). Shown as numbers only: the UI never loads map tiles.
func gpsOf(exif map[string]string) map[string]float64 {
	lat, err1 := strconv.ParseFloat(exif["GPSLatitude"], 64)
	lon, err2 := strconv.ParseFloat(exif["GPSLongitude"], 64)
	if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return nil
	}
	g := map[string]float64{"latitude": lat, "longitude": lon}
	if alt, err := strconv.ParseFloat(exif["GPSAltitude"], 64); err == nil {
		g["altitude"] = alt
	}
	return g
}

// handleLocalSet lists the versions of the local hash set.
//
//	GET /api/v1/review/localset
func (s *Server) handleLocalSet(c *gin.Context) {
	vs, err := s.cfg.Reviews.LocalSetVersions(c.Request.Context(), s.cfg.Review.LocalSet)
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.cfg.Sets.Set(c.Request.Context(), s.cfg.Review.LocalSet)
	if err != nil && triage.ErrorCode(err) != triage.ENOTFOUND {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"name": s.cfg.Review.LocalSet, "entries": st.Entries, "versions": nonNil(vs)})
}

// ensureLocalSet makes the local hash set exist (review.EnsureLocalSet),
// once per process.
func (s *Server) ensureLocalSet(ctx context.Context) error {
	if s.localSet.Load() {
		return nil
	}
	if err := review.EnsureLocalSet(ctx, s.cfg.SetFiles, s.cfg.Reviews, s.cfg.Review.LocalSet); err != nil {
		return err
	}
	s.localSet.Store(true)
	return nil
}
