package hashing

import (
	"bytes"
	"encoding/binary"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/disk/probe"
)

// SniffLen is how many leading bytes Sniff looks at. Fewer are fine; the
// answer is then at worst less specific.
const SniffLen = 4096

// Sniff decides a file's type from its first bytes (up to SniffLen), never
// from its name. A file matching no signature is MIMEUnknown/KindUnknown.
// Polyglot files are typed by their leading signature, which is what
// decoders act on.
func Sniff(head []byte) triage.MediaType {
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	img := func(m string) triage.MediaType { return triage.MediaType{MIME: m, Kind: triage.KindImage} }
	vid := func(m string) triage.MediaType { return triage.MediaType{MIME: m, Kind: triage.KindVideo} }
	arc := func(m string) triage.MediaType { return triage.MediaType{MIME: m, Kind: triage.KindArchive} }
	has := func(off int, sig string) bool {
		return len(head) >= off+len(sig) && string(head[off:off+len(sig)]) == sig
	}

	switch {
	case has(0, "\xff\xd8\xff"):
		return img(triage.MIMEJPEG)
	case has(0, "\x89PNG\r\n\x1a\n"):
		return img(triage.MIMEPNG)
	case has(0, "GIF87a"), has(0, "GIF89a"):
		return img(triage.MIMEGIF)
	case has(0, "BM") && isBMP(head):
		return img(triage.MIMEBMP)
	case has(0, "II*\x00"), has(0, "MM\x00*"), has(0, "II+\x00"), has(0, "MM\x00+"):
		return img(triage.MIMETIFF)
	case has(0, "RIFF") && has(8, "WEBP"):
		return img(triage.MIMEWebP)
	case has(0, "RIFF") && has(8, "AVI "):
		return vid("video/x-msvideo")
	case has(0, "RIFF") && has(8, "WAVE"):
		return triage.MediaType{MIME: "audio/wav", Kind: triage.KindUnknown}
	case has(4, "ftyp"):
		return sniffISOBMFF(head)
	case has(4, "moov"), has(4, "mdat"), has(4, "wide"), has(4, "free") && isQuickTimeAtoms(head):
		return vid("video/quicktime")
	case has(0, "\x1a\x45\xdf\xa3"):
		if bytes.Contains(head[:min(len(head), 64)], []byte("webm")) {
			return vid("video/webm")
		}
		return vid("video/x-matroska")
	case has(0, "\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c"):
		return vid("video/x-ms-asf")
	case has(0, "FLV\x01"):
		return vid("video/x-flv")
	case has(0, "\x00\x00\x01\xba"), has(0, "\x00\x00\x01\xb3"):
		return vid("video/mpeg")
	case len(head) >= 3*188 && head[0] == 0x47 && head[188] == 0x47 && head[376] == 0x47:
		return vid("video/mp2t")
	case has(0, "PK\x03\x04"), has(0, "PK\x05\x06"), has(0, "PK\x07\x08"):
		return arc("application/zip")
	case has(0, "\x1f\x8b\x08"):
		return arc("application/gzip")
	case has(0, "7z\xbc\xaf\x27\x1c"):
		return arc("application/x-7z-compressed")
	case has(0, "Rar!\x1a\x07"):
		return arc("application/vnd.rar")
	case has(0, "BZh") && len(head) > 3 && head[3] >= '1' && head[3] <= '9':
		return arc("application/x-bzip2")
	case has(0, "\xfd7zXZ\x00"):
		return arc("application/x-xz")
	case has(257, "ustar"), isOldTar(head):
		return arc("application/x-tar")
	case has(0, "%PDF-"):
		return triage.MediaType{MIME: "application/pdf", Kind: triage.KindDocument}
	case has(0, "EVF\x09\x0d\x0a\xff\x00") && len(head) >= 11:
		if binary.LittleEndian.Uint16(head[9:]) > 1 {
			return triage.MediaType{MIME: triage.MIMEEWFSegment}
		}
		return triage.MediaType{MIME: triage.MIMEEWF}
	case has(0, "EVF2\x0d\x0a\x81\x00"):
		return triage.MediaType{MIME: triage.MIMEEWF2}
	case has(0, "LVF\x09\x0d\x0a\xff\x00"), has(0, "LEF2\x0d\x0a\x81\x00"):
		return triage.MediaType{MIME: triage.MIMEEWFLogical}
	case probe.Image(head):
		return triage.MediaType{MIME: triage.MIMEDiskImage}
	}
	return triage.MediaType{MIME: triage.MIMEUnknown, Kind: triage.KindUnknown}
}

// isBMP checks that the DIB header size is one the format defines, since "BM"
// alone is too weak a signature.
func isBMP(head []byte) bool {
	if len(head) < 18 {
		return false
	}
	switch binary.LittleEndian.Uint32(head[14:18]) {
	case 12, 16, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

// sniffISOBMFF types a file that starts with an ISO base media "ftyp" box
// (MP4, QuickTime, 3GP, HEIF/HEIC, AVIF) from its major and compatible brands.
func sniffISOBMFF(head []byte) triage.MediaType {
	size := int(binary.BigEndian.Uint32(head[0:4]))
	if size < 16 || size > len(head) {
		size = min(len(head), 256)
	}
	var brands []string
	for off := 8; off+4 <= size; off += 4 {
		if off == 12 {
			continue // minor version
		}
		brands = append(brands, string(head[off:off+4]))
	}
	hasBrand := func(set ...string) bool {
		for _, b := range brands {
			for _, s := range set {
				if b == s {
					return true
				}
			}
		}
		return false
	}
	major := ""
	if len(brands) > 0 {
		major = brands[0]
	}
	switch {
	case major == "avif" || major == "avis":
		return triage.MediaType{MIME: triage.MIMEAVIF, Kind: triage.KindImage}
	case hasBrand("heic", "heix", "heim", "heis", "hevc", "hevx"):
		return triage.MediaType{MIME: triage.MIMEHEIC, Kind: triage.KindImage}
	case hasBrand("avif", "avis"):
		return triage.MediaType{MIME: triage.MIMEAVIF, Kind: triage.KindImage}
	case hasBrand("mif1", "msf1"):
		return triage.MediaType{MIME: triage.MIMEHEIF, Kind: triage.KindImage}
	case major == "qt  ":
		return triage.MediaType{MIME: "video/quicktime", Kind: triage.KindVideo}
	case len(major) == 4 && major[:3] == "3gp", len(major) == 4 && major[:3] == "3g2":
		return triage.MediaType{MIME: "video/3gpp", Kind: triage.KindVideo}
	case major == "crx ":
		return triage.MediaType{MIME: "image/x-canon-cr3", Kind: triage.KindImage}
	}
	return triage.MediaType{MIME: "video/mp4", Kind: triage.KindVideo}
}

// isQuickTimeAtoms accepts a file made of plausible top-level QuickTime atoms
// (old .mov files have no ftyp box).
func isQuickTimeAtoms(head []byte) bool {
	off := 0
	for n := 0; n < 4 && off+8 <= len(head); n++ {
		size := int(binary.BigEndian.Uint32(head[off : off+4]))
		switch string(head[off+4 : off+8]) {
		case "moov", "mdat", "wide", "free", "skip", "pnot":
		default:
			return false
		}
		if size < 8 {
			return size == 0 || size == 1
		}
		off += size
	}
	return true
}

// isOldTar recognises a pre-POSIX tar header by its checksum field.
func isOldTar(head []byte) bool {
	if len(head) < 512 || head[0] == 0 {
		return false
	}
	want, ok := parseOctal(head[148:156])
	if !ok {
		return false
	}
	var sum int64
	for i, b := range head[:512] {
		if i >= 148 && i < 156 {
			b = ' '
		}
		sum += int64(b)
	}
	return sum == want
}

func parseOctal(b []byte) (int64, bool) {
	b = bytes.Trim(b, " \x00")
	if len(b) == 0 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '7' {
			return 0, false
		}
		v = v*8 + int64(c-'0')
	}
	return v, true
}
