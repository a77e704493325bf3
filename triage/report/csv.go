package report

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// CSVColumns are the columns of report.csv, in order.
var CSVColumns = []string{
	"id", "path", "outer_path", "inner_path", "size", "verdict", "reason", "category", "category_label",
	"md5", "sha1", "sha256", "mime", "kind", "width", "height", "pdq", "pdq_quality", "phash",
	"match_set", "match_entry_id", "match_algorithm", "match_distance", "matches",
	"group", "duplicate_stack", "error", "also_known_good",
	"deleted", "carved", "image_offset", "fs_modified", "fs_created", "device_path", "extraction", "digest_only", "truncated",
	"partial",
}

// WriteCSV writes one row per item (RFC 4180, with a header of
// CSVColumns); the match_ columns describe the item's best match, matches
// counts them all, also_known_good lists (';'-separated) the known-good
// sets that list a known or variant item too. A cell starting with =, +, -, @, a tab or a carriage
// return gets a leading apostrophe, so that a spreadsheet shows a file
// named "=HYPERLINK(...)" as text instead of running it (the exact names
// are in report.json).
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	row := make([]string, len(CSVColumns))
	for i := range r.Items {
		it := &r.Items[i]
		var ms, me, ma, md string
		if len(it.Matches) > 0 {
			m := it.Matches[0]
			ms, me, ma, md = m.Set, m.EntryID, m.Algorithm, strconv.Itoa(m.Distance)
		}
		row = append(row[:0],
			strconv.Itoa(it.ID), it.Path, it.OuterPath, it.InnerPath, strconv.FormatInt(it.Size, 10),
			string(it.Verdict), it.Reason, it.Category, it.CategoryLabel,
			string(it.MD5), string(it.SHA1), string(it.SHA256), it.MIME, it.Kind, itoa0(it.Width), itoa0(it.Height),
			string(it.PDQ), intp(it.PDQQuality), string(it.PHash),
			ms, me, ma, md, strconv.Itoa(len(it.Matches)+it.MatchesOmitted),
			itoa0(it.Group), itoa0(it.Stack), string(it.Error), strings.Join(it.AlsoKnownGood, ";"),
		)
		row = append(row, originCells(it.Origin)...)
		row = append(row, strconv.FormatBool(it.Partial))
		for k, c := range row {
			row[k] = CSVCell(c)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// originCells are the disk-image and phone columns of an item (empty for
// others).
func originCells(o *triage.Origin) []string {
	if o == nil {
		return []string{"", "", "", "", "", "", "", "", ""}
	}
	off := ""
	if o.Offset >= 0 {
		off = strconv.FormatInt(o.Offset, 10)
	}
	return []string{strconv.FormatBool(o.Deleted), strconv.FormatBool(o.Carved), off, rfc3339(o.Modified), rfc3339(o.Created),
		o.DevicePath, o.Extraction, strconv.FormatBool(o.DigestOnly), strconv.FormatBool(o.Truncated)}
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// CSVCell keeps a spreadsheet from reading a cell as a formula: a cell
// starting with = + - @, a tab or a carriage return gets a leading '.
// Every CSV Winnow writes (the scan report, the lab's exports) passes its
// cells through it.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func intp(v *int) string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(*v)
}

func itoa0(v int) string {
	if v == 0 {
		return ""
	}
	return strconv.Itoa(v)
}

// WriteJSON writes the report as report.json: one JSON object, indented.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	return enc.Encode(r)
}
