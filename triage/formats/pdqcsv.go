package formats

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
)

// PDQ lists from ThreatExchange, HMA and Meta's PDQ tools (FORMATS.md §4.3).
// The first line decides the layout, which Meta reports as "layout":
//
//	threatexchange-dataset  signal_type,signal_str,collab,category,tags   (header; quoted CSV)
//	filepath-hash           FilePath,Hash                                 (header; quoted CSV)
//	pdq-photo-hasher        <pdq>,<quality>,<filename>                    (optional header hash,quality,filename)
//	pdq-photo-hasher-legacy <pdq>,<filename>                              (Meta's older C++ pdq-photo-hasher: no quality)
//	pdq-keyed               hash=<pdq>,norm=<n>,delta=<n>,quality=<q>,filename=<path>
//	vpdq                    <frame>,<quality>,<pdq>,<timestamp seconds>
//
// Within this format 64 hex digits are PDQ: the format itself says the
// hashes are perceptual. ThreatExchange rows take the algorithm from
// signal_type (pdq; video_md5, photo_md5, md5 and the old HASH_* names);
// other signal types (raw_text, url, ...) carry nothing Winnow matches and
// are *triage.RecordErrors. Their category (NEGATIVE_CLASS,
// INVESTIGATION_SEED, POSITIVE_CLASS) is ThreatExchange's label of the
// signal, not a classification of content in any scheme: it stays in Extra
// with signal_type and collab; tags (space-separated) become Tags. In
// FilePath,Hash files (ThreatExchange's test data) the Hash column holds
// PDQ (64 hex) for images and MD5 (32 hex) for videos. File names go to
// Name, quality to PDQQuality (kept even below 50: the matcher decides),
// and every other value (norm, delta, frame, timestamp) to Extra. vPDQ
// files (one line per sampled video frame) give one PDQ entry per frame,
// marked AlgoVPDQ: the matcher takes a run of them as one video.
//
// The legacy pdq-photo-hasher layout (shown in ThreatExchange's pdq/cpp
// and pdq/sql READMEs) is told from the current one by its first line:
// a second field that is not a number is a file name. Its hashes have no
// quality: PDQQuality stays -1 (unknown) unless Options.AssumePDQQuality
// says otherwise. A first line "<pdq>,<digits>" is read as the current
// layout, so a legacy file whose first file is named with digits only
// needs --format and a header line, or a different first line.

func init() {
	register(format{name: PDQCSV, rank: rankHeader, sniff: sniffPDQCSV, open: openPDQCSV})
}

// Layouts of PDQ files.
const (
	pdqTEDataset = "threatexchange-dataset"
	pdqFilePath  = "filepath-hash"
	pdqHasher    = "pdq-photo-hasher"
	pdqLegacy    = "pdq-photo-hasher-legacy"
	pdqKeyed     = "pdq-keyed"
	pdqVPDQ      = "vpdq"
)

// pdqLayout tells the layout from the first non-blank line, and whether
// that line is a header.
func pdqLayout(line []byte) (layout string, header bool) {
	t := bytes.TrimSpace(line)
	l := strings.ToLower(string(t))
	switch {
	case strings.HasPrefix(l, "signal_type,") && strings.Contains(l, "signal_str"):
		return pdqTEDataset, true
	case l == "filepath,hash":
		return pdqFilePath, true
	case l == "hash,quality,filename":
		return pdqHasher, true
	case strings.HasPrefix(l, "hash="):
		return pdqKeyed, false
	}
	f := bytes.Split(t, []byte(","))
	switch {
	case len(f) >= 1 && len(f[0]) == 64 && isHex(f[0]) && (len(f) == 1 || isDigits(bytes.TrimSpace(f[1]))):
		return pdqHasher, false
	case len(f) >= 2 && len(f[0]) == 64 && isHex(f[0]) && len(bytes.TrimSpace(f[1])) > 0:
		return pdqLegacy, false
	case len(f) == 4 && isDigits(f[0]) && isDigits(f[1]) && len(f[2]) == 64 && isHex(f[2]) && isDecimal(f[3]):
		return pdqVPDQ, false
	}
	return "", false
}

func sniffPDQCSV(head []byte, _ string) bool {
	line, _, _ := bytes.Cut(head, []byte("\n"))
	layout, _ := pdqLayout(line)
	if layout == pdqHasher && !bytes.Contains(line, []byte(",")) {
		return false // a bare hash: a plain list
	}
	return layout != ""
}

func isDecimal(b []byte) bool {
	b = bytes.TrimSpace(b)
	_, err := strconv.ParseFloat(string(b), 64)
	return err == nil && len(b) > 0 && (b[0] >= '0' && b[0] <= '9')
}

type pdqReader struct {
	layout  string
	lines   *lineScanner
	csv     *csvReader // for the layouts with a header
	header  []string   // column names as written
	roles   []string   // column names lower-cased
	sigType int        // index of the signal_type column, or -1
	meta    map[string]string
	err     error
}

func openPDQCSV(r io.Reader, opt Options) (Source, error) {
	p := &pdqReader{lines: newLineScanner(r, opt.maxLine()), sigType: -1}
	for {
		line, err := p.lines.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, triage.Errorf(triage.EINVALID, "pdq: empty file")
			}
			return nil, fmt.Errorf("pdq: line %d: %w", p.lines.n, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		layout, header := pdqLayout(line)
		if layout == "" {
			return nil, triage.Errorf(triage.EINVALID, "pdq: line %d: not a PDQ list: want a header (signal_type,signal_str,... or FilePath,Hash) "+
				"or lines like <pdq>,<quality>,<file>, hash=<pdq>,... or <frame>,<quality>,<pdq>,<seconds>", p.lines.n)
		}
		p.layout = layout
		p.meta = map[string]string{"layout": layout}
		if header {
			for i, f := range bytes.Split(bytes.TrimSpace(line), []byte(",")) {
				name := textString(bytes.TrimSpace(f))
				if strings.EqualFold(name, "signal_type") {
					p.sigType = i
				}
				p.header = append(p.header, name)
				p.roles = append(p.roles, strings.ToLower(name))
			}
		} else {
			p.lines.unread(line, nil)
		}
		if layout == pdqTEDataset || layout == pdqFilePath {
			p.csv = &csvReader{lines: p.lines, sep: ',', max: opt.maxLine()}
		}
		return p, nil
	}
}

func (p *pdqReader) Format() Format          { return PDQCSV }
func (p *pdqReader) Meta() map[string]string { return maps.Clone(p.meta) }
func (p *pdqReader) Close() error            { return nil }

func (p *pdqReader) Next() (triage.Entry, error) {
	if p.err != nil {
		return triage.Entry{}, p.err
	}
	e, err := p.next()
	if err != nil && !triage.IsRecordError(err) {
		if !errors.Is(err, io.EOF) {
			err = fmt.Errorf("pdq: line %d: %w", p.lines.n+1, err)
		}
		p.err = err
	}
	return e, err
}

func (p *pdqReader) next() (triage.Entry, error) {
	e := triage.NewEntry()
	if p.csv != nil {
		fields, pos, err := p.csv.next()
		if err != nil {
			return triage.Entry{}, err
		}
		e.Pos = pos
		var sigType []byte
		if p.sigType >= 0 && p.sigType < len(fields) {
			sigType = fields[p.sigType]
		}
		for i, f := range fields {
			name, role := "column_"+strconv.Itoa(i+1), ""
			if i < len(p.header) {
				name, role = p.header[i], p.roles[i]
			}
			if err := p.column(&e, role, name, f, sigType); err != nil {
				return triage.Entry{}, err
			}
		}
		return p.validate(e)
	}
	var line []byte
	for {
		l, err := p.lines.next()
		if err != nil {
			return triage.Entry{}, err
		}
		if len(bytes.TrimSpace(l)) > 0 {
			line = bytes.TrimSpace(l)
			break
		}
	}
	e.Pos = p.lines.n
	var err error
	switch p.layout {
	case pdqHasher:
		err = p.hasherLine(&e, line)
	case pdqLegacy:
		h, name, _ := bytes.Cut(line, []byte(","))
		if err = setHash(&e, triage.AlgoPDQ, "hash", h); err == nil {
			e.Name = textString(name)
		}
	case pdqKeyed:
		err = p.keyedLine(&e, line)
	case pdqVPDQ:
		err = p.vpdqLine(&e, line)
	}
	if err != nil {
		return triage.Entry{}, err
	}
	return p.validate(e)
}

func (p *pdqReader) validate(e triage.Entry) (triage.Entry, error) {
	if err := e.Validate(); err != nil {
		return triage.Entry{}, &triage.RecordError{Pos: e.Pos, Err: err}
	}
	return e, nil
}

// column handles one cell of the header layouts: role is the lower-cased
// column name, name as written; sigType is the row's signal_type cell.
func (p *pdqReader) column(e *triage.Entry, role, name string, f, sigType []byte) error {
	switch role {
	case "signal_str":
		a, ok := teSignalAlgo(string(sigType))
		if !ok {
			return recordErr(e.Pos, "signal_type", "%s signals carry no hash Winnow matches", quoteShort(sigType))
		}
		return setHash(e, a, name, f)
	case "hash":
		switch len(bytes.TrimSpace(f)) {
		case 32:
			return setHash(e, triage.AlgoMD5, name, f)
		case 40:
			return setHash(e, triage.AlgoSHA1, name, f)
		default:
			return setHash(e, triage.AlgoPDQ, name, f)
		}
	case "filepath", "filename", "file":
		e.Name = textString(f)
	case "tags":
		e.Tags = append(e.Tags, strings.Fields(textString(f))...)
	case "quality":
		return setQuality(e, f)
	default: // signal_type (read before signal_str), collab, category, ...
		e.SetExtra(name, textString(f))
	}
	return nil
}

// teSignalAlgo maps a ThreatExchange signal type to the algorithm of its
// signal string.
func teSignalAlgo(t string) (triage.Algo, bool) {
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "pdq", "hash_pdq":
		return triage.AlgoPDQ, true
	case "video_md5", "photo_md5", "md5", "hash_md5":
		return triage.AlgoMD5, true
	case "sha1", "hash_sha1":
		return triage.AlgoSHA1, true
	case "sha256", "hash_sha256":
		return triage.AlgoSHA256, true
	}
	return 0, false
}

func setQuality(e *triage.Entry, f []byte) error {
	q, err := strconv.Atoi(string(bytes.TrimSpace(f)))
	if err != nil || q < 0 || q > 100 {
		return recordErr(e.Pos, "quality", "%s is not a PDQ quality (0-100)", quoteShort(f))
	}
	e.PDQQuality = q
	return nil
}

// hasherLine reads "<pdq>[,<quality>[,<filename>]]"; the file name is the
// rest of the line and may hold commas.
func (p *pdqReader) hasherLine(e *triage.Entry, line []byte) error {
	h, rest, more := bytes.Cut(line, []byte(","))
	if err := setHash(e, triage.AlgoPDQ, "hash", h); err != nil {
		return err
	}
	if !more {
		return nil
	}
	q, name, more := bytes.Cut(rest, []byte(","))
	if err := setQuality(e, q); err != nil {
		return err
	}
	if more {
		e.Name = textString(name)
	}
	return nil
}

// keyedLine reads "hash=<pdq>,norm=..,delta=..,quality=..,filename=<path>"
// (the C++ loaders also accept a bare hash first). filename is the rest of
// the line.
func (p *pdqReader) keyedLine(e *triage.Entry, line []byte) error {
	gotHash := false
	for i := 1; len(line) > 0; i++ {
		var item []byte
		item, line, _ = bytes.Cut(line, []byte(","))
		k, v, ok := bytes.Cut(item, []byte("="))
		key := string(bytes.TrimSpace(k))
		if !ok {
			if i == 1 {
				key, v = "hash", item
			} else {
				e.SetExtra("column_"+strconv.Itoa(i), textString(item))
				continue
			}
		}
		switch key {
		case "hash":
			if err := setHash(e, triage.AlgoPDQ, "hash", v); err != nil {
				return err
			}
			gotHash = true
		case "quality":
			if err := setQuality(e, v); err != nil {
				return err
			}
		case "filename":
			if len(line) > 0 {
				v = append(append(v[:len(v):len(v)], ','), line...)
				line = nil
			}
			e.Name = textString(v)
		default:
			e.SetExtra(key, textString(v))
		}
	}
	if !gotHash {
		return recordErr(e.Pos, "hash", "missing")
	}
	return nil
}

// vpdqLine reads "<frame>,<quality>,<pdq>,<timestamp>".
func (p *pdqReader) vpdqLine(e *triage.Entry, line []byte) error {
	f := bytes.Split(line, []byte(","))
	if len(f) < 4 {
		return recordErr(e.Pos, "", "%d fields, want frame,quality,pdq,timestamp", len(f))
	}
	if !isDigits(bytes.TrimSpace(f[0])) {
		return recordErr(e.Pos, "frame", "%s is not a frame number", quoteShort(f[0]))
	}
	if !isDecimal(f[3]) {
		return recordErr(e.Pos, "timestamp", "%s is not a time in seconds", quoteShort(f[3]))
	}
	if err := setQuality(e, f[1]); err != nil {
		return err
	}
	if err := setHash(e, triage.AlgoPDQ, "pdq", f[2]); err != nil {
		return err
	}
	e.Algos |= triage.AlgoSet(triage.AlgoVPDQ) // a video's frame: matching groups them into the video
	e.SetExtra("frame", string(bytes.TrimSpace(f[0])))
	e.SetExtra("timestamp", string(bytes.TrimSpace(f[3])))
	for i, x := range f[4:] {
		e.SetExtra("column_"+strconv.Itoa(i+5), textString(x))
	}
	return nil
}
