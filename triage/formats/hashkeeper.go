package formats

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
)

// HashKeeper (NDIC) sets come as a pair of quoted CSV files (FORMATS.md
// §5.2): the .hsh file holds the hashes, one row per file,
//
//	"file_id","hashset_id","file_name","directory","hash","file_size","date_modified","time_modified","time_zone","comments","date_accessed","time_accessed"
//	101,5,"FILE1.BIN","C:\SYNTH","6B70...B484",18,7/11/95 0:00:00,12/30/99 9:50:00,"PST",,,
//
// and the .hke file describes the sets the rows belong to,
//
//	"hashset_id","name","vendor","package","version","authenicated_flag","notable_flag","initials","num_of_files","description","date_loaded"
//
// ("authenicated" is the original spelling). hash is an MD5, file_name
// the Name, file_size the Size and file_id the ID; the other columns go to
// Extra under their names. A stream (NewReader, Open) is the .hsh file
// alone; OpenHashKeeper also reads the .hke file next to it: Meta then
// holds the set's description ("name", "vendor", ..., and "kind":
// "known-bad" for notable_flag 1, "known-good" for 0), or "sets" as a JSON
// array when the .hke file describes several; and each entry gets its
// set's "hashset_name" and "notable_flag" in Extra. Given a .hke file as a
// stream, the reader says to import the .hsh file instead.

const (
	hshHeader = `"file_id","hashset_id","file_name","directory","hash","file_size","date_modified","time_modified","time_zone","comments","date_accessed","time_accessed"`
	hkeHeader = `"hashset_id","name","vendor","package","version","authenicated_flag","notable_flag","initials","num_of_files","description","date_loaded"`
)

// Bounds on a .hke file, whose set descriptions are kept in memory to be
// joined to the rows.
const (
	maxHKESets  = 100000
	maxHKEBytes = 16 << 20
)

func init() {
	register(format{name: HashKeeper, rank: rankHeader, sniff: sniffHashKeeper, open: openHashKeeper})
}

func sniffHashKeeper(head []byte, _ string) bool {
	return bytes.HasPrefix(head, []byte(`"file_id","hashset_id","file_name","directory","hash"`)) ||
		bytes.HasPrefix(head, []byte(`"hashset_id","name","vendor","package"`))
}

type hashKeeperReader struct {
	csv     *csvReader
	cols    columns
	setCol  int                          // index of hashset_id, or -1
	sets    map[string]map[string]string // .hke rows by hashset_id, if read
	meta    map[string]string
	err     error
	closeFn func() error
}

func openHashKeeper(r io.Reader, opt Options) (Source, error) {
	c := newCSVReader(r, ',', opt.maxLine())
	fields, _, err := c.next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, triage.Errorf(triage.EINVALID, "hashkeeper: empty file, want a .hsh header")
		}
		return nil, fmt.Errorf("hashkeeper: line 1: %w", err)
	}
	h := &hashKeeperReader{csv: c, setCol: -1, meta: map[string]string{}}
	hasHash := false
	for i, f := range fields {
		name := textString(f)
		role := colExtra
		switch name {
		case "hash":
			role, hasHash = colMD5, true
		case "file_name":
			role = colName
		case "file_size":
			role = colSize
		case "file_id":
			role = colID
		case "hashset_id":
			h.setCol = i
		}
		h.cols.add(name, role)
	}
	if !hasHash {
		if c.lastLine == hkeHeader || strings.HasPrefix(c.lastLine, `"hashset_id","name"`) {
			return nil, triage.Errorf(triage.EINVALID, "hashkeeper: this is a .hke file, which describes hash sets and holds no hashes: import the .hsh file next to it")
		}
		return nil, triage.Errorf(triage.EINVALID, "hashkeeper: line 1: not a .hsh header (want %s)", hshHeader)
	}
	return h, nil
}

// OpenHashKeeper opens a HashKeeper set from its .hsh file (path may also
// name the .hke file of the pair) and joins the set descriptions of the
// .hke file next to it, if there is one, into Meta and each entry's Extra.
// The caller must Close the source.
func OpenHashKeeper(path string, opt Options) (Source, error) {
	hsh, hke := hashKeeperPair(path)
	f, err := os.Open(hsh)
	if err != nil {
		return nil, triage.Errorf(triage.EINVALID, "open hash set: %v", err)
	}
	src, err := openHashKeeper(f, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	h := src.(*hashKeeperReader)
	h.closeFn = f.Close
	if hke != "" {
		if err := h.readSets(hke, opt); err != nil {
			f.Close()
			return nil, err
		}
	}
	return h, nil
}

// hashKeeperPair finds the .hsh and .hke files of a pair, whichever of
// them path names; the extension's case does not matter.
func hashKeeperPair(path string) (hsh, hke string) {
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	find := func(want string) string {
		for _, e := range []string{want, strings.ToUpper(want)} {
			if fi, err := os.Stat(base + e); err == nil && fi.Mode().IsRegular() {
				return base + e
			}
		}
		return ""
	}
	if strings.EqualFold(ext, ".hke") {
		if h := find(".hsh"); h != "" {
			return h, path
		}
		return path, "" // let the reader say what a .hke file is
	}
	return path, find(".hke")
}

// readSets reads the .hke file of the pair.
func (h *hashKeeperReader) readSets(path string, opt Options) error {
	f, err := os.Open(path)
	if err != nil {
		return triage.Errorf(triage.EINVALID, "open hash set: %v", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxHKEBytes {
		return triage.Errorf(triage.ETOOLARGE, "hashkeeper: %s: %d bytes, more than the %d a set description file may have", filepath.Base(path), fi.Size(), maxHKEBytes)
	}
	c := newCSVReader(io.LimitReader(f, maxHKEBytes), ',', opt.maxLine())
	header, _, err := c.next()
	if err != nil {
		return triage.Errorf(triage.EINVALID, "hashkeeper: %s: line 1: %v", filepath.Base(path), err)
	}
	var names []string
	for _, f := range header {
		names = append(names, textString(f))
	}
	if len(names) == 0 || names[0] != "hashset_id" {
		return triage.Errorf(triage.EINVALID, "hashkeeper: %s: not a .hke header (want %s)", filepath.Base(path), hkeHeader)
	}
	h.sets = map[string]map[string]string{}
	var order []map[string]string
	for {
		fields, pos, err := c.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return triage.Errorf(triage.EINVALID, "hashkeeper: %s: line %d: %v", filepath.Base(path), pos, err)
		}
		if len(h.sets) >= maxHKESets {
			return triage.Errorf(triage.ETOOLARGE, "hashkeeper: %s: more than %d set descriptions", filepath.Base(path), maxHKESets)
		}
		set := map[string]string{}
		for i, f := range fields {
			if i < len(names) {
				set[names[i]] = textString(f)
			} else {
				set[fmt.Sprintf("column_%d", i+1)] = textString(f)
			}
		}
		h.sets[set["hashset_id"]] = set
		order = append(order, set)
	}
	switch len(order) {
	case 0:
	case 1:
		maps.Copy(h.meta, order[0])
		if k := hashKeeperKind(order[0]); k != "" {
			h.meta["kind"] = k
		}
	default:
		b, _ := json.Marshal(order)
		h.meta["sets"] = string(b)
		kind := hashKeeperKind(order[0])
		for _, s := range order[1:] {
			if hashKeeperKind(s) != kind {
				kind = ""
			}
		}
		if kind != "" {
			h.meta["kind"] = kind
		}
	}
	return nil
}

// hashKeeperKind reads a set's notable_flag.
// entryKind is the entry kind a source's "kind" means: known-good, or alert
// for known-bad; "" when the source does not say.
func entryKind(sourceKind string) triage.SetKind {
	switch sourceKind {
	case "known-good":
		return triage.SetKindKnownGood
	case "known-bad":
		return triage.SetKindAlert
	}
	return ""
}

func hashKeeperKind(set map[string]string) string {
	switch strings.TrimSpace(set["notable_flag"]) {
	case "1":
		return "known-bad"
	case "0":
		return "known-good"
	}
	return ""
}

func (h *hashKeeperReader) Format() Format          { return HashKeeper }
func (h *hashKeeperReader) Meta() map[string]string { return maps.Clone(h.meta) }

func (h *hashKeeperReader) Close() error {
	if h.closeFn != nil {
		return h.closeFn()
	}
	return nil
}

func (h *hashKeeperReader) Next() (triage.Entry, error) {
	if h.err != nil {
		return triage.Entry{}, h.err
	}
	fields, pos, err := h.csv.next()
	if err != nil {
		if !triage.IsRecordError(err) {
			if !errors.Is(err, io.EOF) {
				err = fmt.Errorf("hashkeeper: line %d: %w", pos, err)
			}
			h.err = err
		}
		return triage.Entry{}, err
	}
	e := triage.NewEntry()
	e.Pos = pos
	if err := h.cols.fill(&e, fields); err != nil {
		return triage.Entry{}, err
	}
	if h.sets != nil && h.setCol >= 0 && h.setCol < len(fields) {
		if set, ok := h.sets[string(fields[h.setCol])]; ok {
			e.SetExtra("hashset_name", set["name"])
			e.SetExtra("notable_flag", set["notable_flag"])
			e.Kind = entryKind(hashKeeperKind(set))
		}
	}
	if err := e.Validate(); err != nil {
		return triage.Entry{}, &triage.RecordError{Pos: pos, Err: err}
	}
	return e, nil
}
