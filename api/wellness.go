package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/winnow-forensics/winnow/triage"
)

// handleGetSettings returns the user's wellness settings (blur strength,
// grayscale, reveal mode, break reminders).
//
//	GET /api/v1/me/settings
func (s *Server) handleGetSettings(c *gin.Context) {
	u, _ := viewer(c)
	w, err := s.cfg.Wellness.WellnessSettings(c.Request.Context(), u.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, w)
}

// handlePutSettings stores the user's wellness settings; fields left out
// keep their current values.
//
//	PUT /api/v1/me/settings
func (s *Server) handlePutSettings(c *gin.Context) {
	u, _ := viewer(c)
	old, err := s.cfg.Wellness.WellnessSettings(c.Request.Context(), u.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	w := old
	if err := bindJSON(c, &w); err != nil {
		s.fail(c, err)
		return
	}
	var audit *triage.AuditEvent
	if w != old {
		d := map[string]string{"blur": strconv.Itoa(w.Blur), "grayscale": strconv.FormatBool(w.Grayscale), "reveal_mode": w.RevealMode,
			"break_every": strconv.Itoa(w.BreakEvery), "break_minutes": strconv.Itoa(w.BreakMinutes)}
		if w.Blur == 0 && old.Blur != 0 {
			d["blur_off"] = "true"
		}
		if !w.Grayscale && old.Grayscale {
			d["grayscale_off"] = "true"
		}
		ev := s.auditEvent(c, triage.AuditWellness, "user/"+u.Name, d)
		audit = &ev
	}
	if err := s.cfg.Wellness.SaveWellnessSettings(c.Request.Context(), u.ID, w, audit); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, w)
}

// handleGetExposure returns the user's exposure counts (items revealed
// today, in all, since the last break) and whether a break is due.
//
//	GET /api/v1/me/exposure
func (s *Server) handleGetExposure(c *gin.Context) {
	u, _ := viewer(c)
	e, err := s.cfg.Wellness.Exposure(c.Request.Context(), u.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, e)
}

// handleAddExposure counts revealed items: {"revealed": 1, "item_id": N}.
// A reveal of an item is also an audited media access.
//
//	POST /api/v1/me/exposure
func (s *Server) handleAddExposure(c *gin.Context) {
	var body struct {
		Revealed int   `json:"revealed"`
		ItemID   int64 `json:"item_id"`
	}
	body.Revealed = 1
	if err := bindJSON(c, &body); err != nil {
		s.fail(c, err)
		return
	}
	u, v := viewer(c)
	if body.ItemID != 0 {
		// A reveal names an item of a case the user may see, or none.
		it, err := s.cfg.Items.Item(c.Request.Context(), body.ItemID)
		visible := false
		if err == nil {
			visible, err = s.canSeeCase(c.Request.Context(), v, it.CaseID)
		}
		if err = hide(err, visible, "no item %d that you may see", body.ItemID); err != nil {
			s.fail(c, err)
			return
		}
	}
	e, err := s.cfg.Wellness.AddExposure(c.Request.Context(), u.ID, body.Revealed, body.ItemID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if body.ItemID != 0 && !s.auditRead(c, triage.AuditMediaAccess, "item/"+strconv.FormatInt(body.ItemID, 10), map[string]string{"what": "reveal"}) {
		return
	}
	c.JSON(http.StatusOK, e)
}

// handleTakeBreak records that the user took a break.
//
//	POST /api/v1/me/exposure/break
func (s *Server) handleTakeBreak(c *gin.Context) {
	u, _ := viewer(c)
	e, err := s.cfg.Wellness.TakeBreak(c.Request.Context(), u.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, e)
}

// handleCaseMembers lists the users allowed on a case.
//
//	GET /api/v1/cases/{case}/members
func (s *Server) handleCaseMembers(c *gin.Context) {
	cs, err := s.caseOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	us, err := s.cfg.Access.CaseMembers(c.Request.Context(), cs.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"members": nonNil(us)})
}

// handlePutCaseMember allows a user on a case (its media, its review
// groups).
//
//	PUT /api/v1/cases/{case}/members/{user}
func (s *Server) handlePutCaseMember(c *gin.Context) {
	s.caseMember(c, true)
}

// handleDeleteCaseMember takes a user off a case.
//
//	DELETE /api/v1/cases/{case}/members/{user}
func (s *Server) handleDeleteCaseMember(c *gin.Context) {
	s.caseMember(c, false)
}

func (s *Server) caseMember(c *gin.Context, add bool) {
	cs, err := s.caseOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.cfg.Users.UserByName(c.Request.Context(), c.Param("user"))
	if err != nil {
		s.fail(c, err)
		return
	}
	op := "add"
	if !add {
		op = "remove"
	}
	ev := s.auditEvent(c, triage.AuditCaseMember, "case/"+cs.Name, map[string]string{"user": u.Name, "op": op})
	if add {
		err = s.cfg.Access.AddCaseMember(c.Request.Context(), cs.ID, u.ID, &ev)
	} else {
		err = s.cfg.Access.RemoveCaseMember(c.Request.Context(), cs.ID, u.ID, &ev)
		s.forgetMembership(u.ID, cs.ID)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
