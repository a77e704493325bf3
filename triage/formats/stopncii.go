package formats

// StopNCII FetchHashes JSON reader (FORMATS.md §4.4).
//
// A page is {count, nextPageToken, nextSetTimestamp, hasMoreRecords,
// hashRecords: [...]}. Each hash record becomes one entry:
//
//   - hashValue is the hash, its algorithm given by signalType: ImagePDQ ->
//     PDQ, VideoMD5 -> MD5. Other signal types (VideoTMK, Text, URL,
//     Unknown) carry nothing Winnow can match: such records are
//     RecordErrors naming the type.
//   - The tags of all CSPFeedbacks, in order and without repeats, become
//     Tags.
//   - signalType, hashStatus, lastModtimestamp, caseNumbers, CSPFeedbacks
//     and every other field go into Extra (objects and arrays as compact
//     JSON).
//   - A record whose hashStatus is Withdrawn or Deleted is a withdrawal:
//     StopNCII says such hashes must be removed by the client. Its entry
//     also gets Extra["winnow:deleted"] = "true" (see IsDeletion).
//
// Meta holds the page fields (count, nextPageToken, nextSetTimestamp,
// hasMoreRecords, ...) under their own names, final once Next has returned
// io.EOF, and "kind" = "ncii": StopNCII hashes are of non-consensual
// intimate images of adults, not child-abuse material, and a lab keeps them
// in a separate set.

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
)

func init() {
	register(format{name: StopNCII, rank: rankJSON, sniff: sniffStopNCII, open: openStopNCII})
}

// ExtraDeleted is the Extra key that marks an entry as a deletion (value
// "true"): the source withdrew the hash or record, so an importer removes
// what it holds for the entry's hash (StopNCII) or source ID (NCMEC)
// instead of adding it. The key is not a plain "deleted" because sources
// have fields of that name with other meanings (C4All's <deleted> is a
// FILETIME, VICS MediaFiles carry Deleted for deleted files).
const ExtraDeleted = "winnow:deleted"

// IsDeletion reports whether e is a deletion rather than an entry to add:
// a StopNCII hash whose status is Withdrawn or Deleted, or an NCMEC
// deletedImage/deletedVideo tombstone. An NCMEC tombstone has an ID but no
// hash, so it does not pass Entry.Validate: apply deletions before
// validating.
func IsDeletion(e *triage.Entry) bool { return e.Extra[ExtraDeleted] == "true" }

func sniffStopNCII(head []byte, _ string) bool {
	h := bytes.TrimLeft(head, " \t\r\n")
	return len(h) > 0 && h[0] == '{' && bytes.Contains(h, []byte(`"hashRecords"`))
}

type stopNCIIReader struct {
	js   *jsonStream
	opt  Options
	meta map[string]string
	held int
	rec  int64
	err  error // sticky: io.EOF or a fatal error
}

func openStopNCII(r io.Reader, opt Options) (Source, error) {
	s := &stopNCIIReader{js: newJSONStream(r, opt, "stopncii"), opt: opt, meta: map[string]string{"kind": "ncii"}}
	if err := s.js.begin(); err != nil {
		return nil, err
	}
	for {
		key, ok, err := s.js.key()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, s.js.errorf("no \"hashRecords\" array: not a StopNCII FetchHashes page")
		}
		if strings.EqualFold(key, "hashRecords") {
			break
		}
		if err := s.metaField(key); err != nil {
			return nil, err
		}
	}
	isArray, err := s.js.openArray(`"hashRecords"`)
	if err != nil {
		return nil, err
	}
	if !isArray {
		if err := s.tail(); err != nil {
			return nil, err
		}
		s.err = io.EOF
	}
	return s, nil
}

func (s *stopNCIIReader) metaField(key string) error {
	raw, err := s.js.value()
	if err != nil {
		return err
	}
	val := jsonExtra(raw)
	if s.held += len(key) + len(val); s.held > maxMetaBytes {
		return s.js.errorf("page fields exceed %d bytes", maxMetaBytes)
	}
	s.meta[key] = val
	return nil
}

func (s *stopNCIIReader) tail() error {
	for {
		key, ok, err := s.js.key()
		if err != nil {
			return err
		}
		if !ok {
			return s.js.end()
		}
		if err := s.metaField(key); err != nil {
			return err
		}
	}
}

func (s *stopNCIIReader) Format() Format          { return StopNCII }
func (s *stopNCIIReader) Meta() map[string]string { return maps.Clone(s.meta) }
func (s *stopNCIIReader) Close() error            { return nil }

func (s *stopNCIIReader) Next() (triage.Entry, error) {
	if s.err != nil {
		return triage.Entry{}, s.err
	}
	more, err := s.js.elem()
	if err == nil && !more {
		err = s.tail()
		if err == nil {
			err = io.EOF
		}
	}
	if err != nil {
		s.err = err
		return triage.Entry{}, err
	}
	depth := s.js.depth()
	raw, err := s.js.value()
	if err != nil {
		s.err = err
		return triage.Entry{}, err
	}
	s.rec++
	e, err := s.record(raw, depth, s.rec)
	var de *depthError
	if errors.As(err, &de) {
		s.err = s.js.errorf("record %d: %v", s.rec, err)
		return triage.Entry{}, s.err
	}
	return e, err
}

func (s *stopNCIIReader) record(raw []byte, depth int, pos int64) (triage.Entry, error) {
	e := triage.NewEntry()
	e.Pos = pos
	var signal, value, valueKey string
	var haveSignal, haveValue bool
	err := jsonMembers(raw, depth, s.opt.maxDepth(), func(k, v []byte) error {
		key := string(k)
		switch {
		case strings.EqualFold(key, "hashValue"):
			if haveValue {
				return recordErr(pos, key, "the field appears twice")
			}
			str, _, err := jsonString(v)
			if err != nil {
				return recordErr(pos, key, "%v", err)
			}
			value, valueKey, haveValue = strings.TrimSpace(str), key, true
			return nil
		case strings.EqualFold(key, "signalType"):
			if haveSignal {
				return recordErr(pos, key, "the field appears twice")
			}
			str, _, err := jsonString(v)
			if err != nil {
				return recordErr(pos, key, "%v", err)
			}
			signal, haveSignal = str, true
		case strings.EqualFold(key, "hashStatus"):
			str, _, err := jsonString(v)
			if err != nil {
				return recordErr(pos, key, "%v", err)
			}
			if strings.EqualFold(str, "Withdrawn") || strings.EqualFold(str, "Deleted") {
				e.SetExtra(ExtraDeleted, "true")
			}
		case strings.EqualFold(key, "CSPFeedbacks"):
			if err := s.feedbackTags(&e, v); err != nil {
				return recordErr(pos, key, "%v", err)
			}
		}
		if _, dup := e.Extra[key]; dup {
			return recordErr(pos, key, "the field appears twice")
		}
		e.SetExtra(key, jsonExtra(v))
		return nil
	})
	if err != nil {
		if triage.IsRecordError(err) {
			return triage.Entry{}, err
		}
		var de *depthError
		if errors.As(err, &de) {
			return triage.Entry{}, err
		}
		return triage.Entry{}, recordErr(pos, "", "%v", err)
	}
	if !haveValue || value == "" {
		return triage.Entry{}, recordErr(pos, "hashValue", "missing")
	}
	var f int
	switch strings.ToLower(signal) {
	case "imagepdq":
		f = vfPDQ
	case "videomd5":
		f = vfMD5
	default:
		return triage.Entry{}, recordErr(pos, "signalType", "%q: not a signal type Winnow can match (ImagePDQ, VideoMD5)", shortText(signal))
	}
	if err := setEntryHash(&e, f, value); err != nil {
		return triage.Entry{}, recordErr(pos, valueKey, "%v", err)
	}
	if err := e.Validate(); err != nil {
		return triage.Entry{}, recordErr(pos, valueKey, "%s", triage.ErrorMessage(err))
	}
	return e, nil
}

// feedbackTags adds the tags of every CSP feedback to e.Tags, once each.
func (s *stopNCIIReader) feedbackTags(e *triage.Entry, raw []byte) error {
	if jsonKind(raw) == 'n' {
		return nil
	}
	if jsonKind(raw) != '[' {
		return errors.New(jsonKindName(raw) + ", want an array")
	}
	return jsonElements(raw, 0, 1<<30, func(fb []byte) error {
		if jsonKind(fb) != '{' {
			return errors.New("feedback is " + jsonKindName(fb) + ", want an object")
		}
		return jsonMembers(fb, 0, 1<<30, func(k, v []byte) error {
			if !bytes.EqualFold(k, []byte("tags")) || jsonKind(v) == 'n' {
				return nil
			}
			tags, err := parseTags(v)
			if err != nil {
				return err
			}
			for _, t := range tags {
				if !slices.Contains(e.Tags, t) {
					e.Tags = append(e.Tags, t)
				}
			}
			return nil
		})
	})
}
