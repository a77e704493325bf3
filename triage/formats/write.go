package formats

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"iter"
	"strconv"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
)

// WritePlain writes one lowercase hex hash per line: the entries' hashes
// of algorithm algo (triage.AlgoMD5, AlgoSHA1, AlgoSHA256, AlgoPDQ or
// AlgoPHash). Entries without that hash are skipped. The output is a plain
// list that the Plain reader (and `winnow match`) read back; for SHA-256
// and PDQ the reader needs Options.Algo, since 64 hex digits could be
// either. It stops at the first write error.
func WritePlain(w io.Writer, entries iter.Seq[triage.Entry], algo triage.Algo) error {
	switch algo {
	case triage.AlgoMD5, triage.AlgoSHA1, triage.AlgoSHA256, triage.AlgoPDQ, triage.AlgoPHash:
	default:
		return triage.Errorf(triage.EINVALID, "write plain list: %v hashes are not stored in hash-set entries (md5, sha1, sha256, pdq, phash)", algo)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf []byte
	for e := range entries {
		if !e.Algos.Has(algo) {
			continue
		}
		buf = appendHash(buf[:0], &e, algo)
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// appendHash appends the entry's hash of algorithm a as lowercase hex.
func appendHash(b []byte, e *triage.Entry, a triage.Algo) []byte {
	const digits = "0123456789abcdef"
	var h []byte
	switch a {
	case triage.AlgoMD5:
		h = e.MD5[:]
	case triage.AlgoSHA1:
		h = e.SHA1[:]
	case triage.AlgoSHA256:
		h = e.SHA256[:]
	case triage.AlgoPDQ:
		h = e.PDQ[:]
	case triage.AlgoPHash:
		return append(b, e.PHash.String()...)
	}
	for _, c := range h {
		b = append(b, digits[c>>4], digits[c&15])
	}
	return b
}

// CSVColumns are the columns WriteCSV writes, in order.
var CSVColumns = []string{
	"md5", "sha1", "sha256", "pdq", "pdq_quality", "phash", "photodna",
	"size", "name", "id", "category", "series", "tags", "flags", "extra", "kind",
}

// WriteCSV writes entries as CSV (RFC 4180, comma-separated, CRLF-free)
// with a header row of CSVColumns:
//
//	md5, sha1, sha256, pdq, phash  lowercase hex, empty when the entry lacks the hash
//	pdq_quality                    0-100, empty when unknown
//	photodna                       as the source spelled it
//	size                           bytes, empty when unknown
//	name, id, series               as read
//	category                       SCHEME:CODE (e.g. vic-us:1, caid:A), empty when uncategorised
//	tags                           joined with ';' (a tag holding ';' cannot be told apart)
//	flags                          comma-separated flag names (victim-identified, ...)
//	extra                          the Extra map as compact JSON with sorted keys, empty when none
//	kind                           alert or known-good, empty when the entry does not say
//
// Values are written verbatim: a name beginning with '=', '+', '-' or '@'
// is not defused for spreadsheets, since the file is evidence output and
// must say exactly what the source said. It stops at the first write error.
func WriteCSV(w io.Writer, entries iter.Seq[triage.Entry]) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	row := make([]string, len(CSVColumns))
	var extra bytes.Buffer
	enc := json.NewEncoder(&extra)
	enc.SetEscapeHTML(false)
	hexIf := func(e *triage.Entry, a triage.Algo) string {
		if !e.Algos.Has(a) {
			return ""
		}
		return string(appendHash(nil, e, a))
	}
	for e := range entries {
		row[0] = hexIf(&e, triage.AlgoMD5)
		row[1] = hexIf(&e, triage.AlgoSHA1)
		row[2] = hexIf(&e, triage.AlgoSHA256)
		row[3] = hexIf(&e, triage.AlgoPDQ)
		row[4] = ""
		if e.PDQQuality >= 0 {
			row[4] = strconv.Itoa(e.PDQQuality)
		}
		row[5] = hexIf(&e, triage.AlgoPHash)
		row[6] = e.PhotoDNA
		row[7] = ""
		if e.Size >= 0 {
			row[7] = strconv.FormatInt(e.Size, 10)
		}
		row[8] = e.Name
		row[9] = e.ID
		row[10] = e.Category.String()
		row[11] = e.Series
		row[12] = strings.Join(e.Tags, ";")
		row[13] = e.Flags.String()
		row[14] = ""
		if len(e.Extra) > 0 {
			extra.Reset()
			if err := enc.Encode(e.Extra); err != nil {
				return err
			}
			row[14] = strings.TrimSuffix(extra.String(), "\n")
		}
		row[15] = string(e.Kind)
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
