package api

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/wire"
)

// bindJSON decodes a small JSON body (at most 1 MiB) into v. An empty
// body leaves v as it is.
func bindJSON(c *gin.Context, v any) error {
	body := http.MaxBytesReader(c.Writer, c.Request.Body, 1<<20)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && err != io.EOF {
		return triage.Errorf(triage.EINVALID, "request body is not valid JSON for this endpoint: %v", err)
	}
	return nil
}

// caseOf returns the route's case, which authorize resolved and checked.
func (s *Server) caseOf(c *gin.Context) (triage.Case, error) {
	if v, ok := c.Get(caseKey); ok {
		return v.(triage.Case), nil
	}
	return triage.Case{}, triage.Errorf(triage.ENOTFOUND, "no case %q that you may see", c.Param("case"))
}

// exhibitOf resolves the route's case and exhibit. Cases and exhibits are
// never renamed or deleted, so a resolution is cached for the server's life.
func (s *Server) exhibitOf(c *gin.Context) (triage.Case, triage.Exhibit, error) {
	key := c.Param("case") + "\x00" + c.Param("exhibit")
	if v, ok := s.exhibits.Load(key); ok {
		ce := v.(caseExhibit)
		return ce.c, ce.e, nil
	}
	cs, err := s.caseOf(c)
	if err != nil {
		return cs, triage.Exhibit{}, err
	}
	ex, err := s.cfg.Cases.Exhibit(c.Request.Context(), cs.ID, c.Param("exhibit"))
	if err == nil {
		s.exhibits.Store(key, caseExhibit{cs, ex})
	}
	return cs, ex, err
}

type caseExhibit struct {
	c triage.Case
	e triage.Exhibit
}

// handleListCases lists the cases the user may see.
//
//	GET /api/v1/cases
func (s *Server) handleListCases(c *gin.Context) {
	ctx := c.Request.Context()
	cs, err := s.cfg.Cases.Cases(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	if u, v := viewer(c); !v.All {
		ids, err := s.cfg.Access.MemberCases(ctx, u.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		cs = slices.DeleteFunc(cs, func(x triage.Case) bool { _, found := slices.BinarySearch(ids, x.ID); return !found })
	}
	c.JSON(http.StatusOK, gin.H{"cases": nonNil(cs)})
}

// handleGetCase returns a case and its exhibits.
//
//	GET /api/v1/cases/{case}
func (s *Server) handleGetCase(c *gin.Context) {
	cs, err := s.caseOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	exs, err := s.cfg.Cases.Exhibits(c.Request.Context(), cs.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"case": cs, "exhibits": nonNil(exs)})
}

// handlePutCase creates a case if it does not exist (201) or returns it
// (200). Body (optional): {"title": "..."}.
//
//	PUT /api/v1/cases/{case}
func (s *Server) handlePutCase(c *gin.Context) {
	var body struct {
		Title string `json:"title"`
	}
	if err := bindJSON(c, &body); err != nil {
		s.fail(c, err)
		return
	}
	u, _ := UserFromContext(c.Request.Context())
	cs := triage.Case{Name: c.Param("case"), Title: body.Title, CreatedBy: u.ID}
	created, err := s.cfg.Cases.EnsureCase(c.Request.Context(), &cs)
	if err != nil {
		s.fail(c, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		// The creator is a member of the case; the case's event commits
		// with that membership.
		ev := s.auditEvent(c, triage.AuditCaseCreate, "case/"+cs.Name, map[string]string{"member": u.Name})
		if err := s.cfg.Access.AddCaseMember(c.Request.Context(), cs.ID, u.ID, &ev); err != nil {
			s.fail(c, err)
			return
		}
	}
	c.JSON(status, cs)
}

// handleListExhibits lists a case's exhibits.
//
//	GET /api/v1/cases/{case}/exhibits
func (s *Server) handleListExhibits(c *gin.Context) {
	cs, err := s.caseOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	exs, err := s.cfg.Cases.Exhibits(c.Request.Context(), cs.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"exhibits": nonNil(exs)})
}

// handleGetExhibit returns an exhibit with its status.
//
//	GET /api/v1/cases/{case}/exhibits/{exhibit}
func (s *Server) handleGetExhibit(c *gin.Context) {
	_, ex, err := s.exhibitOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.exhibitStatus(c, ex.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"exhibit": ex, "status": st})
}

// handlePutExhibit creates an exhibit if it does not exist (201) or
// returns it (200). Body (optional): {"description": "..."}.
//
//	PUT /api/v1/cases/{case}/exhibits/{exhibit}
func (s *Server) handlePutExhibit(c *gin.Context) {
	var body struct {
		Description string `json:"description"`
	}
	if err := bindJSON(c, &body); err != nil {
		s.fail(c, err)
		return
	}
	cs, err := s.caseOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	u, _ := UserFromContext(c.Request.Context())
	ex := triage.Exhibit{CaseID: cs.ID, Name: c.Param("exhibit"), Description: body.Description, CreatedBy: u.ID}
	created, err := s.cfg.Cases.EnsureExhibit(c.Request.Context(), &ex)
	if err != nil {
		s.fail(c, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, ex)
}

// handleExhibitStatus counts an exhibit's items by state and verdict, with
// its progress (final items / all items), at most half a second old.
//
//	GET /api/v1/cases/{case}/exhibits/{exhibit}/status
func (s *Server) handleExhibitStatus(c *gin.Context) {
	_, ex, err := s.exhibitOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.exhibitStatus(c, ex.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

// exhibitStatus returns an exhibit's status, at most StatusCacheTTL old.
func (s *Server) exhibitStatus(c *gin.Context, id int64) (triage.ExhibitStatus, error) {
	if v, ok := s.status.Load(id); ok && time.Since(v.(cachedStatus).at) < StatusCacheTTL {
		return v.(cachedStatus).st, nil
	}
	st, err := s.cfg.Items.ExhibitStatus(c.Request.Context(), id)
	if err == nil {
		s.status.Store(id, cachedStatus{st: st, at: time.Now()})
	}
	return st, err
}

// itemFilter reads the item-list query: state, verdict, parent, after, limit.
func itemFilter(c *gin.Context, exhibitID int64) (triage.ItemFilter, error) {
	f := triage.ItemFilter{ExhibitID: exhibitID}
	var err error
	if v := c.Query("state"); v != "" {
		if f.State, err = triage.ParseItemState(v); err != nil {
			return f, err
		}
	}
	if v := c.Query("verdict"); v != "" {
		if f.Verdict, err = triage.ParseVerdict(v); err != nil {
			return f, err
		}
	}
	for name, dst := range map[string]*int64{"after": &f.After, "parent": &f.ParentID} {
		if v := c.Query(name); v != "" {
			if *dst, err = strconv.ParseInt(v, 10, 64); err != nil || *dst < 0 {
				return f, triage.Errorf(triage.EINVALID, "%s=%q is not an item id", name, v)
			}
		}
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return f, triage.Errorf(triage.EINVALID, "limit=%q is not a number from 1 to 1000", v)
		}
		f.Limit = n
	}
	return f, nil
}

// handleListItems lists an exhibit's items in id order, filtered by state,
// verdict or parent archive, a page at a time (after=LAST_ID, limit).
// EXIF is not listed: it is in the item's detail, whose reads are audited.
//
//	GET /api/v1/cases/{case}/exhibits/{exhibit}/items
func (s *Server) handleListItems(c *gin.Context) {
	_, ex, err := s.exhibitOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f, err := itemFilter(c, ex.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, err := s.cfg.Items.Items(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]ItemJSON, len(items))
	for i := range items {
		out[i] = itemJSON(&items[i])
		out[i].EXIF = nil
	}
	resp := gin.H{"items": out}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	if len(items) == limit {
		resp["next_after"] = items[len(items)-1].ID
	}
	c.JSON(http.StatusOK, resp)
}

// ExhibitReportFormat names the exhibit report's format; its
// format_version is the item model's (wire.FormatVersion).
const ExhibitReportFormat = "winnow-exhibit-report"

// handleExhibitReport exports every item of an exhibit with its verdict
// and matches as one JSON document, the items in the model of winnow
// scan's report.json (wire.Item). It is audited as an export.
//
//	GET /api/v1/cases/{case}/exhibits/{exhibit}/report
func (s *Server) handleExhibitReport(c *gin.Context) {
	cs, ex, err := s.exhibitOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	st, err := s.cfg.Items.ExhibitStatus(ctx, ex.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !s.auditRead(c, triage.AuditExport, "exhibit/"+cs.Name+"/"+ex.Name, map[string]string{"items": strconv.FormatInt(st.Items, 10)}) {
		return
	}
	c.Header("Content-Type", "application/json")
	c.Status(http.StatusOK)
	w := c.Writer
	enc := json.NewEncoder(w)
	io.WriteString(w, `{"format":"`+ExhibitReportFormat+`","format_version":`+strconv.Itoa(wire.FormatVersion)+`,"case":`)
	enc.Encode(cs.Name)
	io.WriteString(w, `,"exhibit":`)
	enc.Encode(ex.Name)
	io.WriteString(w, `,"status":`)
	enc.Encode(st)
	io.WriteString(w, `,"items":[`)
	first := true
	for after := int64(0); ; {
		items, err := s.cfg.Items.Items(ctx, triage.ItemFilter{ExhibitID: ex.ID, After: after, Limit: 500})
		if err != nil {
			s.log.ErrorContext(ctx, "report cut short", "err", err)
			io.WriteString(w, `],"error":"report incomplete: `+triage.ErrorMessage(err)+`"}`)
			return
		}
		for i := range items {
			j := itemJSON(&items[i])
			j.Case, j.Exhibit = cs.Name, ex.Name
			ms, err := s.cfg.Items.Matches(ctx, items[i].ID)
			if err != nil {
				s.log.ErrorContext(ctx, "report cut short", "err", err)
				io.WriteString(w, `],"error":"report incomplete"}`)
				return
			}
			j.addMatches(ms)
			if !first {
				io.WriteString(w, ",")
			}
			first = false
			enc.Encode(j)
		}
		if len(items) < 500 {
			break
		}
		after = items[len(items)-1].ID
	}
	io.WriteString(w, "]}\n")
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
