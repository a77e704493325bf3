package workers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
)

// EXIF limits.
const (
	exifTimeout   = 10 * time.Second
	exifMaxOutput = 256 << 10 // bytes of exiftool output read
	exifMaxInput  = 64 << 20  // larger images are not given to exiftool
	exifMaxValue  = 256       // characters kept of one value
)

// EXIF reads an image's metadata summary (hashing.EXIFFields). JPEG and
// TIFF-based files are read in process (hashing.ReadEXIF, fuzzed); other
// images go to exiftool, run as a subprocess that gets the bytes on stdin
// (never a file), under a timeout and an output cap: it costs about 200 ms
// of CPU per call, so it is kept for the formats Winnow does not parse. The
// zero value uses "exiftool" from PATH.
type EXIF struct {
	// Path is the exiftool binary ("" for PATH).
	Path string
}

// Summary returns the EXIF summary of an image, or nil when it has none.
// An image over the input limit gets nil. A failure of exiftool itself is
// an error (EUNAVAILABLE if it cannot be run at all).
//
// A camera body's serial number links items across exhibits and cases
// (triage.DeviceKey). Makers that keep it only in their maker notes,
// which the in-process reader does not parse, get a second reading of
// those tags by exiftool, when the JPEG names such a maker and no serial
// (about 200 ms of CPU, for camera originals of these makers only).
func (x EXIF) Summary(ctx context.Context, b []byte) (map[string]string, error) {
	if m, ok := hashing.ReadEXIF(b); ok {
		if m != nil && m["SerialNumber"] == "" && makerNoteSerial(m["Make"]) {
			if mn, err := x.exiftool(ctx, b, makerNoteFields); err == nil {
				for _, f := range makerNoteFields {
					if v := mn[f]; v != "" {
						m[f] = v
					}
				}
			} else if triage.ErrorCode(err) == triage.EUNAVAILABLE {
				return nil, err
			}
		}
		return m, nil
	}
	return x.exiftool(ctx, b, hashing.EXIFFields)
}

// makerNoteFields are the serial numbers exiftool reads from maker notes.
var makerNoteFields = []string{"SerialNumber", "InternalSerialNumber", "LensSerialNumber"}

// makerNoteSerial reports whether cameras of this make keep their serial
// number in their maker notes (exiftool's Canon, Nikon, Olympus, Pentax,
// Fujifilm, Panasonic, Sony, Leica and Sigma tables).
func makerNoteSerial(make string) bool {
	m := strings.ToLower(strings.TrimSpace(make))
	for _, p := range []string{"canon", "nikon", "olympus", "om digital", "pentax", "ricoh", "fujifilm", "panasonic", "sony", "leica", "sigma"} {
		if strings.HasPrefix(m, p) {
			return true
		}
	}
	return false
}

// exiftool runs exiftool on b for the fields.
func (x EXIF) exiftool(ctx context.Context, b []byte, fields []string) (map[string]string, error) {
	if len(b) > exifMaxInput {
		return nil, nil
	}
	path := x.Path
	if path == "" {
		path = "exiftool"
	}
	ctx, cancel := context.WithTimeout(ctx, exifTimeout)
	defer cancel()
	args := []string{"-j", "-n", "-fast", "-m", "-q", "-charset", "utf8", "-api", "LargeFileSupport=0"}
	for _, f := range fields {
		args = append(args, "-"+f)
	}
	cmd := exec.CommandContext(ctx, path, append(args, "-")...)
	cmd.Stdin = bytes.NewReader(b)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{b: &stderr, n: 4096}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("exiftool: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, errors.Join(fmt.Errorf("exiftool: %w", err), triage.Errorf(triage.EUNAVAILABLE, "exiftool cannot be run: install libimage-exiftool-perl"))
	}
	buf, rerr := io.ReadAll(io.LimitReader(out, exifMaxOutput+1))
	io.Copy(io.Discard, out)
	werr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return nil, triage.Errorf(triage.ETOOLARGE, "exiftool took longer than %s", exifTimeout)
	case rerr != nil:
		return nil, fmt.Errorf("exiftool: %w", rerr)
	case len(buf) > exifMaxOutput:
		return nil, triage.Errorf(triage.ETOOLARGE, "exiftool output is over %d bytes", exifMaxOutput)
	case werr != nil && len(buf) == 0:
		return nil, nil // exiftool exits 1 for files it has no tags for
	}
	return ParseEXIF(buf)
}

// ParseEXIF parses exiftool's -j output for one file into the summary: the
// known fields only, values as strings, each at most 256 characters. It is
// fuzzed: it must never panic or keep more than the known fields.
func ParseEXIF(b []byte) (map[string]string, error) {
	var recs []map[string]json.RawMessage
	if err := json.Unmarshal(b, &recs); err != nil {
		return nil, triage.Errorf(triage.EINVALID, "exiftool output is not JSON: %v", err)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, f := range hashing.EXIFFields {
		raw, ok := recs[0][f]
		if !ok {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			continue
		}
		var s string
		switch t := v.(type) {
		case string:
			s = t
		case float64, bool:
			s = strings.TrimSpace(string(raw))
		default:
			continue // arrays and objects are not summary values
		}
		s = strings.ToValidUTF8(strings.TrimSpace(s), "\uFFFD")
		if utf8.RuneCountInString(s) > exifMaxValue {
			s = string([]rune(s)[:exifMaxValue])
		}
		if s != "" {
			out[f] = s
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

type limitedBuffer struct {
	b *bytes.Buffer
	n int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.n - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
