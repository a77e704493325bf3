package report

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"image"
	"image/jpeg"
	"io"
	"slices"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// HTMLOptions bound the HTML report, which is for people: the complete
// lists are in report.json and report.csv.
type HTMLOptions struct {
	// Thumbnails is the most thumbnails shown (0: 300; negative: none):
	// variant items first, then the representatives of new series, largest
	// series first.
	Thumbnails int
	// Rows is the most rows of one table, and of series listed (0: 1000).
	Rows int
}

// DefaultHTMLOptions are the caps used where a field is zero.
var DefaultHTMLOptions = HTMLOptions{Thumbnails: 300, Rows: 1000}

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"bytes": HumanBytes,
	"time":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"dur":   func(a, b time.Time) string { return b.Sub(a).Round(time.Second).String() },
	"first": func(ms []Match) *Match {
		if len(ms) == 0 {
			return nil
		}
		return &ms[0]
	},
	"firstItem": func(its []*Item) *Item {
		if len(its) == 0 {
			return nil
		}
		return its[0]
	},
}).Parse(htmlSource))

// WriteHTML writes report.html: one self-contained page (inline CSS, no
// script, nothing loaded from elsewhere) with the summary counts, the hash
// sets, and a table per verdict. Thumbnails (by item id) of variant items
// and of the representatives of new series are embedded as small JPEGs and
// shown grayscale and blurred; clicking one reveals it (a CSS checkbox, so
// it works with scripts disabled). Known items are never shown as images.
func WriteHTML(w io.Writer, r *Report, thumbs map[int]*image.Gray, opt HTMLOptions) error {
	if opt.Thumbnails == 0 {
		opt.Thumbnails = DefaultHTMLOptions.Thumbnails
	}
	opt.Thumbnails = max(opt.Thumbnails, 0)
	if opt.Rows == 0 {
		opt.Rows = DefaultHTMLOptions.Rows
	}
	d := &htmlData{R: r, Opt: opt, thumbs: thumbs}
	for _, v := range triage.Verdicts {
		d.Verdicts = append(d.Verdicts, htmlCount{string(v), r.Counts.Verdicts[string(v)]})
	}
	byVerdict := map[string][]*Item{}
	for i := range r.Items {
		it := &r.Items[i]
		byVerdict[string(it.Verdict)] = append(byVerdict[string(it.Verdict)], it)
	}
	var conflicts []*Item
	for i := range r.Items {
		if len(r.Items[i].AlsoKnownGood) > 0 {
			conflicts = append(conflicts, &r.Items[i])
		}
	}
	d.Conflicts, d.ConflictsMore = d.rows(conflicts, false)
	d.Known, d.KnownMore = d.rows(byVerdict["known"], false)
	d.Variants, d.VariantsMore = d.rows(byVerdict["variant"], true)
	d.Ignorable, d.IgnorableMore = d.rows(byVerdict["ignorable"], false)
	d.Errors, d.ErrorsMore = d.rows(byVerdict["error"], false)

	// New series, largest first.
	var gs []*Group
	for i := range r.Groups {
		if r.Groups[i].Verdicts["new"] > 0 {
			gs = append(gs, &r.Groups[i])
		}
	}
	slices.SortStableFunc(gs, func(a, b *Group) int { return b.Size - a.Size })
	d.NewItems = len(byVerdict["new"])
	var other []*Item
	for _, it := range byVerdict["new"] {
		if it.Group == 0 {
			other = append(other, it)
		}
	}
	d.OtherNew, d.OtherNewMore = d.rows(other, false)
	for k, g := range gs {
		if k == opt.Rows {
			d.NewMore = len(gs) - k
			break
		}
		hg := htmlGroup{G: g, Rep: d.row(&r.Items[g.Representative-1], true)}
		for _, id := range g.Items {
			if len(hg.Members) == 100 {
				hg.More = len(g.Items) - 100
				break
			}
			hg.Members = append(hg.Members, &r.Items[id-1])
		}
		d.NewGroups = append(d.NewGroups, hg)
	}
	for k := range r.Duplicates {
		if k == opt.Rows {
			d.DupMore = len(r.Duplicates) - k
			break
		}
		s := &r.Duplicates[k]
		hs := htmlStack{S: s}
		for _, id := range s.Items {
			hs.Items = append(hs.Items, &r.Items[id-1])
		}
		d.Dups = append(d.Dups, hs)
	}
	return htmlTemplate.Execute(w, d)
}

type htmlData struct {
	R        *Report
	Opt      HTMLOptions
	Verdicts []htmlCount

	Known, Variants, Ignorable, Errors                 []htmlRow
	KnownMore, VariantsMore, IgnorableMore, ErrorsMore int
	NewGroups                                          []htmlGroup
	NewItems, NewMore                                  int
	OtherNew                                           []htmlRow
	OtherNewMore                                       int
	Dups                                               []htmlStack
	DupMore                                            int
	// Conflicts are the known and variant items a known-good set lists too.
	Conflicts     []htmlRow
	ConflictsMore int

	thumbs map[int]*image.Gray
	shown  int // thumbnails placed so far
}

type htmlCount struct {
	Verdict string
	N       int
}

type htmlRow struct {
	It    *Item
	Thumb template.URL // a data: URI, or empty
}

type htmlGroup struct {
	G       *Group
	Rep     htmlRow
	Members []*Item
	More    int
}

type htmlStack struct {
	S     *Stack
	Items []*Item
}

// rows makes up to Opt.Rows table rows, with thumbnails if asked.
func (d *htmlData) rows(items []*Item, thumbs bool) ([]htmlRow, int) {
	var out []htmlRow
	for k, it := range items {
		if k == d.Opt.Rows {
			return out, len(items) - k
		}
		out = append(out, d.row(it, thumbs))
	}
	return out, 0
}

func (d *htmlData) row(it *Item, thumb bool) htmlRow {
	r := htmlRow{It: it}
	if img := d.thumbs[it.ID]; thumb && img != nil && d.shown < d.Opt.Thumbnails {
		var b bytes.Buffer
		if jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}) == nil {
			d.shown++
			// Safe by construction: base64 of a JPEG Winnow encoded.
			r.Thumb = template.URL("data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(b.Bytes()))
		}
	}
	return r
}

// HumanBytes writes a size the way reports and progress lines do: B, kB,
// MB or GB in powers of ten.
func HumanBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
