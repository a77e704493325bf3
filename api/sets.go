package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/winnow-forensics/winnow/triage"
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
// import is done, without a restart. Query: version, kind (alert or
// known-good), description, as the file's metadata says (the import checks
// the file). A set of the same name is replaced. 202 for a new file, 200
// when the set already holds this file.
//
//	PUT /api/v1/hashsets/{name}
func (s *Server) handlePutSet(c *gin.Context) {
	name := c.Param("name")
	if err := triage.ValidateName("hash set", name); err != nil {
		s.fail(c, err)
		return
	}
	kind, err := triage.ParseSetKind(c.DefaultQuery("kind", string(triage.SetKindAlert)))
	if err != nil {
		s.fail(c, err)
		return
	}
	if c.Request.ContentLength > s.cfg.MaxSetBytes {
		s.fail(c, triage.Errorf(triage.ETOOLARGE, "hash-set file of %d bytes is larger than the server's limit of %d bytes", c.Request.ContentLength, s.cfg.MaxSetBytes))
		return
	}
	body := http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxSetBytes)
	info, err := s.cfg.SetFiles.Put(c.Request.Context(), body, c.Request.ContentLength, triage.SHA256{})
	if err != nil {
		s.fail(c, err)
		return
	}
	u, _ := UserFromContext(c.Request.Context())
	st := triage.StoredSet{Name: name, Version: c.Query("version"), Kind: kind, Description: c.Query("description"),
		SHA256: info.SHA256, Size: info.Size, PushedBy: u.ID}
	created, err := s.cfg.Sets.PutSet(c.Request.Context(), &st)
	if err != nil {
		s.fail(c, err)
		return
	}
	if created {
		s.audit(c, triage.AuditHashSetPush, "hashset/"+name, map[string]string{"sha256": info.SHA256.String(), "version": st.Version, "rev": strconv.FormatInt(st.Rev, 10)})
	}
	if st.State == triage.SetImporting {
		if err := s.cfg.Enqueuer.EnqueueImport(context.WithoutCancel(c.Request.Context()), st.ID, st.Rev); err != nil {
			s.log.WarnContext(c.Request.Context(), "enqueue import failed; the reconciler will retry", "set", name, "err", err)
		}
	}
	status := http.StatusOK
	if created {
		status = http.StatusAccepted
	}
	c.JSON(status, setJSON(st))
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
	st, err := s.cfg.Sets.UpdateSet(c.Request.Context(), c.Param("name"), u)
	if err != nil {
		s.fail(c, err)
		return
	}
	d := map[string]string{"rev": strconv.FormatInt(st.Rev, 10), "enabled": strconv.FormatBool(st.Enabled),
		"pdq_radius": strconv.Itoa(st.PDQRadius), "phash_radius": strconv.Itoa(st.PHashRadius)}
	s.audit(c, triage.AuditHashSetEdit, "hashset/"+st.Name, d)
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
	es := make([]triage.Entry, len(body.Entries))
	for i, j := range body.Entries {
		e, err := j.Entry()
		if err != nil {
			s.fail(c, triage.Errorf(triage.EINVALID, "entry %d: %s", i, triage.ErrorMessage(err)))
			return
		}
		es[i] = e
	}
	n, err := s.cfg.Sets.AddSetEntries(c.Request.Context(), c.Param("name"), es)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, triage.AuditHashSetEntry, "hashset/"+c.Param("name"), map[string]string{"added": strconv.Itoa(len(es)), "entries": strconv.FormatInt(n, 10)})
	c.JSON(http.StatusOK, gin.H{"added": len(es), "entries": n})
}
