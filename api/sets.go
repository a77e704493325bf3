package api

import (
	"cmp"
	"context"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/formats"
	"github.com/winnow-forensics/winnow/triage/setpush"
)

// handleListSets lists the pushed hash sets with their state and settings.
//
//	GET /api/v1/hashsets
func (s *Server) handleListSets(c *gin.Context) {
	sets, err := s.cfg.Sets.Sets(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]SetJSON, len(sets))
	for i := range sets {
		out[i] = setJSON(sets[i])
	}
	c.JSON(http.StatusOK, gin.H{"hashsets": out})
}

// handleGetSet returns one hash set.
//
//	GET /api/v1/hashsets/{name}
func (s *Server) handleGetSet(c *gin.Context) {
	st, err := s.cfg.Sets.Set(c.Request.Context(), c.Param("name"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, setJSON(st))
}

// handlePutSet receives a compiled hash-set file (winnow hashset build) as
// the raw body and queues its import; workers match against it once the
// import is done, without a restart. Query: version, kind (alert,
// known-good or mixed), description, as the file's metadata says (the import checks
// the file). A set of the same name is replaced. 202 for a new file, 200
// when the set already holds this file.
//
//	PUT /api/v1/hashsets/{name}
func (s *Server) handlePutSet(c *gin.Context) {
	ctx := c.Request.Context()
	u, _ := UserFromContext(ctx)
	res, err := s.setPushes.Push(ctx, setpush.Request{Name: c.Param("name"), Version: c.Query("version"),
		Kind: triage.SetKind(c.DefaultQuery("kind", string(triage.SetKindAlert))), Description: c.Query("description"),
		Body: http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxSetBytes), Size: c.Request.ContentLength,
		PushedBy: u.ID, Audit: s.auditEvent(c, "", "", nil)})
	if err != nil {
		s.fail(c, err)
		return
	}
	if res.EnqueueErr != nil {
		// The set is committed; the reconciler will enqueue its import.
		s.log.WarnContext(ctx, "enqueue import failed; the reconciler will retry", "set", res.Set.Name, "err", res.EnqueueErr)
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusAccepted
	}
	c.JSON(status, setJSON(res.Set))
}

// handlePatchSet changes a set's settings: {"enabled": bool, "pdq_radius":
// n, "phash_radius": n} (0 means the matcher's default). Workers apply it
// within seconds.
//
//	PATCH /api/v1/hashsets/{name}
func (s *Server) handlePatchSet(c *gin.Context) {
	var u triage.SetUpdate
	if err := bindJSON(c, &u); err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.cfg.Sets.UpdateSet(c.Request.Context(), c.Param("name"), u, func(st triage.StoredSet) []triage.AuditEvent {
		return []triage.AuditEvent{s.auditEvent(c, triage.AuditHashSetEdit, "hashset/"+st.Name, map[string]string{
			"rev": strconv.FormatInt(st.Rev, 10), "enabled": strconv.FormatBool(st.Enabled),
			"pdq_radius": strconv.Itoa(st.PDQRadius), "phash_radius": strconv.Itoa(st.PHashRadius)})}
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, setJSON(st))
}

// handleAddSetEntries adds entries to a ready set: {"entries": [{"md5":
// ..., "pdq": ..., "category": "vic-us:1", ...}]}, at most 10,000 per
// request. Workers match them within seconds, without a rebuild.
//
//	POST /api/v1/hashsets/{name}/entries
func (s *Server) handleAddSetEntries(c *gin.Context) {
	var body struct {
		Entries []EntryJSON `json:"entries"`
	}
	if err := bindJSON(c, &body); err != nil {
		s.fail(c, err)
		return
	}
	if len(body.Entries) == 0 || len(body.Entries) > 10000 {
		s.fail(c, triage.Errorf(triage.EINVALID, "give 1 to 10000 entries, not %d", len(body.Entries)))
		return
	}
	st, err := s.cfg.Sets.Set(c.Request.Context(), c.Param("name"))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.adoptSchemes(c.Request.Context(), st)
	es := make([]triage.Entry, len(body.Entries))
	for i, j := range body.Entries {
		e, err := j.Entry()
		if err != nil {
			s.fail(c, triage.Errorf(triage.EINVALID, "entry %d: %s", i, triage.ErrorMessage(err)))
			return
		}
		es[i] = e
	}
	n, err := s.cfg.Sets.AddSetEntries(c.Request.Context(), c.Param("name"), es, func(n int64) []triage.AuditEvent {
		return []triage.AuditEvent{s.auditEvent(c, triage.AuditHashSetEntry, "hashset/"+c.Param("name"), map[string]string{
			"added": strconv.Itoa(len(es)), "entries": strconv.FormatInt(n, 10)})}
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"added": len(es), "entries": n})
}

// setExportPage is how many entries an export reads from the store at a time.
const setExportPage = 10000

// handleExportSet exports a stored set's entries as the database holds them
// (the compiled file's and those added since): format=vics (profile=Default,
// US or UK; map=FROM=TO, repeatable, as `hashset export --map`) or format=csv
// (every field, kind included). A VICS export that cannot be written (a
// category with no mapping) fails before anything is sent: the entries are
// checked in a first pass, then streamed. Audited.
//
//	GET /api/v1/hashsets/{name}/export
func (s *Server) handleExportSet(c *gin.Context) {
	ctx := c.Request.Context()
	st, err := s.cfg.Sets.Set(ctx, c.Param("name"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if st.State != triage.SetReady {
		s.fail(c, triage.Errorf(triage.ECONFLICT, "hash set %q is %s; it can be exported once it is ready", st.Name, st.State))
		return
	}
	s.adoptSchemes(ctx, st)
	var readErr error
	entries := func(yield func(triage.Entry) bool) {
		for from := int64(0); from < st.Entries; from += setExportPage {
			es, err := s.cfg.Sets.SetEntries(ctx, st.ID, from, min(from+setExportPage, st.Entries))
			if err != nil {
				readErr = err
				return
			}
			for _, e := range es {
				if !yield(e) {
					return
				}
			}
		}
	}
	newMap := func() (*formats.CategoryMap, error) {
		m := formats.NewCategoryMap()
		for _, spec := range c.QueryArray("map") {
			if err := m.Add(spec); err != nil {
				return nil, err
			}
		}
		return m, nil
	}
	format := c.DefaultQuery("format", "vics")
	var write func(io.Writer) error
	switch format {
	case "csv":
		write = func(w io.Writer) error { return formats.WriteCSV(w, entries) }
	case "vics":
		if _, err := newMap(); err != nil {
			s.fail(c, err)
			return
		}
		profile := c.DefaultQuery("profile", "Default")
		write = func(w io.Writer) error {
			m, _ := newMap()
			return formats.WriteVICS(w, entries, formats.VICSOptions{Profile: profile, Map: m})
		}
		// A first pass checks that every entry can be written, so that a
		// failure is an error status, not a truncated file.
		if err := cmp.Or(write(io.Discard), readErr); err != nil {
			s.fail(c, err)
			return
		}
	default:
		s.fail(c, triage.Errorf(triage.EINVALID, "format=%q: want vics or csv", format))
		return
	}
	s.audit(c, triage.AuditHashSetExport, "hashset/"+st.Name, map[string]string{"format": format, "entries": strconv.FormatInt(st.Entries, 10)})
	ext, ctype := ".json", "application/json"
	if format == "csv" {
		ext, ctype = ".csv", "text/csv; charset=utf-8"
	}
	c.Header("Content-Type", ctype)
	c.Header("Content-Disposition", `attachment; filename="`+st.Name+ext+`"`)
	c.Status(http.StatusOK)
	if err := cmp.Or(write(c.Writer), readErr); err != nil {
		s.log.ErrorContext(ctx, "hash set export cut short", "set", st.Name, "err", err)
	}
}

// adoptSchemes registers the category schemes a stored set carries, so
// that its custom categories parse here (serve never sees the --schemes
// file the set was built with).
func (s *Server) adoptSchemes(ctx context.Context, st triage.StoredSet) {
	if c := triage.AdoptSchemes(st.Schemes); len(c) > 0 {
		s.log.WarnContext(ctx, "hash set carries category schemes defined differently here; the definitions loaded first are used",
			"set", st.Name, "schemes", c)
	}
}
