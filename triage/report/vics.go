package report

import (
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/formats"
)

// VICSCase holds the case header of the VICS export.
type VICSCase struct {
	CaseID      string // a GUID; required by VICS
	CaseNumber  string
	ContactName string
	SourceApp   string // e.g. "Winnow"
	SourceVer   string
}

// WriteVICS writes the report's images and videos as a VICS 2.0 case
// export (a Cases document holding one case), the shape forensic tools
// exchange with Griffeye and Project VIC tools. There is one Media record
// per distinct content (MD5), with every file instance in MediaFiles
// (FileName, FilePath, Written, and for archive members the container in
// ParentFileName, ParentFilePath and ParentMD5).
//
// Known items carry the category of the match they rest on, with
// IsPrecategorized true and PrecategorizationSource the set's name;
// variant items IsSuspected true and no category (a reviewer confirms);
// new items no category. A category outside the profile's scheme is left
// out and named in Comments. The profile is UK (CAID categories) when
// every category is a caid one, else US. Winnow's own hashes (SHA256,
// PDQ, PDQQuality, PHash) are written as extension fields that other
// tools ignore and Winnow's VICS reader reads back.
func WriteVICS(w io.Writer, r *Report, c VICSCase) error {
	profile, scheme := vicsProfile(r)
	media := vicsMedia(r)
	hdr := map[string]string{
		"CaseID": c.CaseID, "SourceApplicationName": c.SourceApp, "SourceApplicationVersion": c.SourceVer,
		"TotalMediaFiles": strconv.Itoa(len(media)),
	}
	if c.CaseNumber != "" {
		hdr["CaseNumber"] = c.CaseNumber
	}
	if c.ContactName != "" {
		hdr["ContactName"] = c.ContactName
	}
	entries := func(yield func(triage.Entry) bool) {
		for _, m := range media {
			if !yield(m.entry(r, scheme)) {
				return
			}
		}
	}
	return formats.WriteVICS(w, iter.Seq[triage.Entry](entries), formats.VICSOptions{Shape: "case", Profile: profile, Case: hdr})
}

// vicsProfile picks the profile from the categories of known items.
func vicsProfile(r *Report) (profile, scheme string) {
	caid, other := false, false
	for i := range r.Items {
		it := &r.Items[i]
		if it.Category == "" || it.Verdict != triage.VerdictKnown {
			continue
		}
		if strings.HasPrefix(it.Category, triage.SchemeCAID+":") {
			caid = true
		} else {
			other = true
		}
	}
	if caid && !other {
		return "UK", triage.SchemeCAID
	}
	return "US", triage.SchemeVICUS
}

// vicsMediaRec is one distinct content and its instances.
type vicsMediaRec struct {
	items []int // indexes into r.Items; the first decides the record
}

// vicsMedia groups the exportable items by MD5, in item order.
func vicsMedia(r *Report) []*vicsMediaRec {
	by := map[string]*vicsMediaRec{}
	var out []*vicsMediaRec
	for i := range r.Items {
		it := &r.Items[i]
		if it.MD5 == "" || (it.Kind != triage.KindImage.String() && it.Kind != triage.KindVideo.String()) {
			continue
		}
		m := by[string(it.MD5)]
		if m == nil {
			m = &vicsMediaRec{}
			by[string(it.MD5)] = m
			out = append(out, m)
		}
		m.items = append(m.items, i)
	}
	return out
}

// entry builds the Media record.
func (m *vicsMediaRec) entry(r *Report, scheme string) triage.Entry {
	it := &r.Items[m.items[0]]
	e := triage.NewEntry()
	e.Size = it.Size
	setHash(&e, it)
	// The verdict of the record: the strongest among its instances (they
	// share the content, so they normally agree).
	best := it
	for _, i := range m.items[1:] {
		if vicsRank(r.Items[i].Verdict) < vicsRank(best.Verdict) {
			best = &r.Items[i]
		}
	}
	var comments []string
	switch best.Verdict {
	case triage.VerdictKnown:
		e.Flags |= triage.FlagPrecategorized
		if len(best.Matches) > 0 {
			e.SetExtra("PrecategorizationSource", best.Matches[0].Set)
		}
		if cat, err := triage.ParseCategory(best.Category); err == nil {
			if cat.Scheme == scheme {
				e.Category = cat
			} else {
				comments = append(comments, fmt.Sprintf("category %s (%s) is not in the %s scheme of this export", cat, cat.Label(), scheme))
			}
		}
	case triage.VerdictVariant:
		e.Flags |= triage.FlagSuspected
	}
	comments = append([]string{"winnow: " + string(best.Verdict) + " (" + best.Reason + ")"}, comments...)
	e.SetExtra("Comments", strings.Join(comments, "; "))
	e.SetExtra("MimeType", it.MIME)

	var files []map[string]any
	for _, i := range m.items {
		in := &r.Items[i]
		dir, name := path.Split(in.Path)
		f := map[string]any{"MD5": string(in.MD5), "FileName": name, "FilePath": dir}
		if in.Modified != nil {
			f["Written"] = in.Modified.UTC().Format(time.RFC3339)
		}
		if o := in.Origin; o != nil {
			// A file found in a disk image: deleted or carved files are
			// "Unallocated", PhysicalLocation is the image offset.
			f["Unallocated"] = o.Deleted || o.Carved
			if o.Offset >= 0 {
				f["PhysicalLocation"] = o.Offset
			}
			for k, t := range map[string]time.Time{"Created": o.Created, "Accessed": o.Accessed, "Written": o.Modified} {
				if !t.IsZero() {
					f[k] = t.UTC().Format(time.RFC3339)
				}
			}
		}
		if k := strings.LastIndex(in.Path, "!/"); k >= 0 {
			parent := in.Path[:k]
			pdir, pname := path.Split(parent)
			f["ParentFileName"], f["ParentFilePath"] = pname, pdir
			if p := r.itemByPath(parent); p != nil && p.MD5 != "" {
				f["ParentMD5"] = string(p.MD5)
			}
		}
		files = append(files, f)
	}
	mf, _ := json.Marshal(files)
	e.SetExtra("MediaFiles", string(mf))
	_, e.Name = path.Split(it.Path)
	return e
}

func setHash(e *triage.Entry, it *Item) {
	if h, err := triage.ParseMD5(string(it.MD5)); err == nil {
		e.MD5, e.Algos = h, e.Algos|triage.AlgoSet(triage.AlgoMD5)
	}
	if h, err := triage.ParseSHA1(string(it.SHA1)); err == nil {
		e.SHA1, e.Algos = h, e.Algos|triage.AlgoSet(triage.AlgoSHA1)
	}
	if h, err := triage.ParseSHA256(string(it.SHA256)); err == nil {
		e.SHA256, e.Algos = h, e.Algos|triage.AlgoSet(triage.AlgoSHA256)
	}
	if h, err := triage.ParsePDQ(string(it.PDQ)); err == nil && it.PDQQuality != nil {
		e.PDQ, e.PDQQuality, e.Algos = h, *it.PDQQuality, e.Algos|triage.AlgoSet(triage.AlgoPDQ)
	}
	if h, err := triage.ParsePHash(string(it.PHash)); err == nil {
		e.PHash, e.Algos = h, e.Algos|triage.AlgoSet(triage.AlgoPHash)
	}
}

func vicsRank(v triage.Verdict) int {
	switch v {
	case triage.VerdictKnown:
		return 0
	case triage.VerdictVariant:
		return 1
	}
	return 2
}

// itemByPath finds an item by its display path (containers of members).
func (r *Report) itemByPath(p string) *Item {
	if r.byPath == nil {
		r.byPath = make(map[string]int, len(r.Items))
		for i := range r.Items {
			r.byPath[r.Items[i].Path] = i
		}
	}
	if i, ok := r.byPath[p]; ok {
		return &r.Items[i]
	}
	return nil
}
