package hashing

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/heif"
)

// EXIF limits: bounded work and output whatever the input.
const (
	exifMaxSegments = 256 // JPEG segments scanned before SOS
	exifMaxEntries  = 512 // entries read per IFD
	exifMaxValue    = 256 // characters kept of one value
)

// EXIFFields are the tags of an EXIF summary: what a reviewer uses to group
// a series (camera, time, place, software). Names and number formats are
// exiftool's (with -n), so summaries read by exiftool and by ReadEXIF agree.
var EXIFFields = []string{
	"Make", "Model", "LensModel", "SerialNumber", "InternalSerialNumber", "LensSerialNumber", "Software", "Orientation",
	"DateTimeOriginal", "CreateDate", "ModifyDate", "OffsetTimeOriginal",
	"GPSLatitude", "GPSLongitude", "GPSAltitude", "GPSDateStamp",
	"Artist", "Copyright", "ImageUniqueID", "OwnerName",
}

type exifTag struct {
	ifd  int // 0 IFD0, 1 Exif IFD, 2 GPS IFD
	id   uint16
	name string
}

var exifTags = []exifTag{
	{0, 0x010f, "Make"}, {0, 0x0110, "Model"}, {0, 0x0112, "Orientation"}, {0, 0x0131, "Software"},
	{0, 0x0132, "ModifyDate"}, {0, 0x013b, "Artist"}, {0, 0x8298, "Copyright"},
	{1, 0x9003, "DateTimeOriginal"}, {1, 0x9004, "CreateDate"}, {1, 0x9011, "OffsetTimeOriginal"},
	{1, 0xa420, "ImageUniqueID"}, {1, 0xa430, "OwnerName"}, {1, 0xa431, "SerialNumber"}, {1, 0xa434, "LensModel"},
	{2, 0x001d, "GPSDateStamp"},
}

// ReadEXIF reads the EXIF summary of a JPEG (its APP1 Exif segment), a
// TIFF-based file, or a HEIF file (HEIC, AVIF: the Exif item of its primary
// image, found by package heif's bounded box reader). ok is false for other formats, which need another
// reader; a JPEG or TIFF without EXIF gives ok true and a nil summary.
// Malformed EXIF yields whatever fields could be read, never a panic:
// every offset is checked, IFDs are read at most once each, and the work
// is bounded by the limits above.
func ReadEXIF(b []byte) (summary map[string]string, ok bool) {
	var tiff []byte
	switch {
	case len(b) >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff:
		tiff = jpegEXIF(b)
	case len(b) >= 4 && (string(b[:4]) == "II*\x00" || string(b[:4]) == "MM\x00*"):
		tiff = b
	case isHEIF(b):
		// The pixel limit does not matter here: only the EXIF item is read.
		im, err := heif.Parse(b, heif.Limits{MaxPixels: 1 << 62, MaxTiles: math.MaxInt32})
		if err != nil {
			return nil, true
		}
		tiff = im.EXIF
	default:
		return nil, false
	}
	if tiff == nil {
		return nil, true
	}
	return parseTIFFEXIF(tiff), true
}

// isHEIF reports a file of the HEIF family by its sniffed type.
func isHEIF(b []byte) bool {
	switch Sniff(b).MIME {
	case triage.MIMEHEIC, triage.MIMEHEIF, triage.MIMEAVIF:
		return true
	}
	return false
}

// jpegEXIF returns the TIFF data of a JPEG's first APP1 Exif segment.
func jpegEXIF(b []byte) []byte {
	p := 2
	for range exifMaxSegments {
		for p < len(b) && b[p] == 0xff && p+1 < len(b) && b[p+1] == 0xff {
			p++ // fill bytes
		}
		if p+4 > len(b) || b[p] != 0xff {
			return nil
		}
		marker := b[p+1]
		if marker == 0xda || marker == 0xd9 { // SOS, EOI: no metadata after
			return nil
		}
		if marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7) {
			p += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[p+2:]))
		if n < 2 || p+2+n > len(b) {
			return nil
		}
		seg := b[p+4 : p+2+n]
		if marker == 0xe1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			return seg[6:]
		}
		p += 2 + n
	}
	return nil
}

type tiffReader struct {
	b  []byte
	bo binary.ByteOrder
}

func (t *tiffReader) u16(off int) (uint16, bool) {
	if off < 0 || off+2 > len(t.b) {
		return 0, false
	}
	return t.bo.Uint16(t.b[off:]), true
}

func (t *tiffReader) u32(off int) (uint32, bool) {
	if off < 0 || off+4 > len(t.b) {
		return 0, false
	}
	return t.bo.Uint32(t.b[off:]), true
}

// entry is one IFD entry.
type tiffEntry struct {
	typ   uint16
	count uint32
	data  []byte // the value's bytes, bounds-checked
}

var tiffTypeSize = map[uint16]int{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8}

// ifd reads the entries of the IFD at off, keyed by tag.
func (t *tiffReader) ifd(off int) map[uint16]tiffEntry {
	n, ok := t.u16(off)
	if !ok {
		return nil
	}
	out := map[uint16]tiffEntry{}
	for i := 0; i < int(n) && i < exifMaxEntries; i++ {
		e := off + 2 + 12*i
		tag, ok1 := t.u16(e)
		typ, ok2 := t.u16(e + 2)
		count, ok3 := t.u32(e + 4)
		if !ok1 || !ok2 || !ok3 {
			break
		}
		size, known := tiffTypeSize[typ]
		if !known || count > 1<<20 {
			continue
		}
		total := int(count) * size
		var data []byte
		if total <= 4 {
			if e+12 > len(t.b) {
				break
			}
			data = t.b[e+8 : e+8+total]
		} else {
			vo, ok := t.u32(e + 8)
			if !ok || int64(vo)+int64(total) > int64(len(t.b)) {
				continue
			}
			data = t.b[vo : int(vo)+total]
		}
		out[tag] = tiffEntry{typ: typ, count: count, data: data}
	}
	return out
}

func (t *tiffReader) str(e tiffEntry) string {
	if e.typ != 2 && e.typ != 7 {
		return ""
	}
	s := string(e.data)
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return cleanEXIF(s)
}

func cleanEXIF(s string) string {
	s = strings.ToValidUTF8(strings.TrimSpace(s), "\uFFFD")
	if utf8.RuneCountInString(s) > exifMaxValue {
		s = string([]rune(s)[:exifMaxValue])
	}
	return s
}

func (t *tiffReader) uint(e tiffEntry) (uint32, bool) {
	switch {
	case e.typ == 3 && len(e.data) >= 2:
		return uint32(t.bo.Uint16(e.data)), true
	case e.typ == 4 && len(e.data) >= 4:
		return t.bo.Uint32(e.data), true
	case (e.typ == 1 || e.typ == 7) && len(e.data) >= 1:
		return uint32(e.data[0]), true
	}
	return 0, false
}

// rationals returns the values of a RATIONAL entry.
func (t *tiffReader) rationals(e tiffEntry) []float64 {
	if e.typ != 5 {
		return nil
	}
	var out []float64
	for i := 0; i+8 <= len(e.data) && i < 8*8; i += 8 {
		num, den := t.bo.Uint32(e.data[i:]), t.bo.Uint32(e.data[i+4:])
		if den == 0 {
			return nil
		}
		out = append(out, float64(num)/float64(den))
	}
	return out
}

// formatEXIFFloat prints a number as exiftool -n does (15 significant digits).
func formatEXIFFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', 15, 64)
}

func parseTIFFEXIF(b []byte) map[string]string {
	if len(b) < 8 {
		return nil
	}
	t := &tiffReader{b: b}
	switch string(b[:2]) {
	case "II":
		t.bo = binary.LittleEndian
	case "MM":
		t.bo = binary.BigEndian
	default:
		return nil
	}
	off0, _ := t.u32(4)
	ifds := [3]map[uint16]tiffEntry{t.ifd(int(off0))}
	seen := map[uint32]bool{off0: true}
	for i, ptr := range []uint16{0x8769, 0x8825} {
		if e, ok := ifds[0][ptr]; ok {
			if off, ok := t.uint(e); ok && !seen[off] {
				seen[off] = true
				ifds[i+1] = t.ifd(int(off))
			}
		}
	}
	out := map[string]string{}
	for _, tg := range exifTags {
		e, ok := ifds[tg.ifd][tg.id]
		if !ok {
			continue
		}
		var v string
		if tg.name == "Orientation" {
			if n, ok := t.uint(e); ok {
				v = strconv.FormatUint(uint64(n), 10)
			}
		} else {
			v = t.str(e)
		}
		if v != "" {
			out[tg.name] = v
		}
	}
	gps := ifds[2]
	coord := func(val, ref uint16, neg byte, name string) {
		r := t.rationals(gps[val])
		if len(r) != 3 {
			return
		}
		v := r[0] + r[1]/60 + r[2]/3600
		if s := t.str(gps[ref]); len(s) > 0 && s[0] == neg {
			v = -v
		}
		if f := formatEXIFFloat(v); f != "" {
			out[name] = f
		}
	}
	coord(0x0002, 0x0001, 'S', "GPSLatitude")
	coord(0x0004, 0x0003, 'W', "GPSLongitude")
	if r := t.rationals(gps[0x0006]); len(r) == 1 {
		v := r[0]
		if ref, ok := t.uint(gps[0x0005]); ok && ref == 1 {
			v = -v
		}
		if f := formatEXIFFloat(v); f != "" {
			out["GPSAltitude"] = f
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
