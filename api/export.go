package api

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/formats"
	"github.com/winnow-forensics/winnow/triage/report"
)

// handleReviewExport exports a case's review decisions: format=vics (a
// VICS 2.0 case export, one Media record per confirmed content with every
// file instance of the case in MediaFiles; profile UK for CAID categories,
// else US) or format=csv (one row per content, cells that a spreadsheet
// would read as a formula prefixed with '). Audited.
//
//	GET /api/v1/cases/{case}/review/export
func (s *Server) handleReviewExport(c *gin.Context) {
	cs, err := s.caseOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	format := c.DefaultQuery("format", "vics")
	if format != "vics" && format != "csv" {
		s.fail(c, triage.Errorf(triage.EINVALID, "format=%q: want vics or csv", format))
		return
	}
	ds, err := s.cfg.Reviews.CaseDecisions(c.Request.Context(), cs.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !s.auditRead(c, triage.AuditReviewExport, "case/"+cs.Name, map[string]string{"format": format, "decisions": strconv.Itoa(len(ds))}) {
		return
	}
	name := "winnow-review-" + cs.Name
	if format == "csv" {
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		c.Status(http.StatusOK)
		if err := writeDecisionsCSV(c.Writer, ds); err != nil {
			s.log.ErrorContext(c.Request.Context(), "review export cut short", "err", err)
		}
		return
	}
	profile := "US"
	if s.cfg.Review.Keys.Scheme == triage.SchemeCAID {
		profile = "UK"
	}
	hdr := map[string]string{"CaseID": caseGUID(cs), "CaseNumber": cs.Name, "SourceApplicationName": "Winnow",
		"TotalMediaFiles": strconv.Itoa(len(ds)), "TotalPrecategorized": strconv.Itoa(len(ds))}
	entries := func(yield func(triage.Entry) bool) {
		for _, d := range ds {
			if !yield(decisionEntry(d)) {
				return
			}
		}
	}
	var buf strings.Builder
	if err := formats.WriteVICS(&buf, iter.Seq[triage.Entry](entries), formats.VICSOptions{Shape: "case", Profile: profile, Case: hdr}); err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+name+`.json"`)
	c.Data(http.StatusOK, "application/json", []byte(buf.String()))
}

// caseGUID derives a stable GUID-shaped id for a case from its id.
func caseGUID(cs triage.Case) string {
	sum := triage.HashTokenSecret("winnow-case:" + strconv.FormatInt(cs.ID, 10) + ":" + cs.Name)
	h := sum.String()
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// decisionEntry is the VICS record of a confirmed content.
func decisionEntry(d triage.CaseDecision) triage.Entry {
	e := triage.NewEntry()
	e.MD5, e.SHA1, e.SHA256, e.Size = d.Digests.MD5, d.Digests.SHA1, d.Digests.SHA256, d.Size
	e.Algos = triage.AlgosCrypto
	if !d.PDQ.IsZero() {
		e.PDQ, e.PDQQuality, e.PHash = d.PDQ, d.PDQQual, d.PHash
		e.Algos |= triage.AlgoSet(triage.AlgoPDQ | triage.AlgoPHash)
	}
	n := d.Notes()
	e.Category, e.Series = d.Decision.Category, n.Series
	e.Tags = append(append([]string{}, n.Tags...), n.Flags.Names()...)
	e.Flags = triage.FlagPrecategorized
	type file struct {
		FileName string `json:"FileName"`
		FilePath string `json:"FilePath"`
	}
	var files []file
	for _, it := range d.Items {
		p := it.Path
		if it.InnerPath != "" {
			p += "/" + it.InnerPath
		}
		files = append(files, file{FileName: path.Base(p), FilePath: it.Exhibit + "/" + path.Dir(p)})
	}
	if len(files) > 0 {
		e.Name = files[0].FileName
		b, _ := json.Marshal(files)
		e.Extra = map[string]string{"MediaFiles": string(b)}
	} else {
		e.Extra = map[string]string{}
	}
	e.Extra["PrecategorizationSource"] = "Winnow review: " + strings.Join(d.Decision.Reviewers, ", ")
	if n.Notes != "" {
		e.Extra["Comments"] = n.Notes
	}
	return e
}

func writeDecisionsCSV(w io.Writer, ds []triage.CaseDecision) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"sha256", "md5", "sha1", "size", "category", "label", "series", "flags", "tags", "notes",
		"reviewers", "adjudicator", "decided_at", "files"})
	for _, d := range ds {
		var files []string
		for _, it := range d.Items {
			p := it.Exhibit + "/" + it.Path
			if it.InnerPath != "" {
				p += "!" + it.InnerPath
			}
			files = append(files, p)
		}
		n := d.Notes()
		row := []string{d.Digests.SHA256.String(), d.Digests.MD5.String(), d.Digests.SHA1.String(), fmt.Sprint(d.Size),
			d.Decision.Category.String(), d.Decision.Category.Label(), n.Series, strings.Join(n.Flags.Names(), ","),
			strings.Join(n.Tags, ","), n.Notes, strings.Join(d.Decision.Reviewers, ","), d.Decision.Adjudicator,
			d.Decision.DecidedAt.UTC().Format(time.RFC3339), strings.Join(files, " | ")}
		for i := range row {
			row[i] = report.CSVCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
