package carve

import (
	"encoding/binary"
	"strings"
)

func isFtyp(h []byte) bool {
	if len(h) < 16 || string(h[4:8]) != "ftyp" {
		return false
	}
	n := binary.BigEndian.Uint32(h)
	return n >= 16 && n <= 1024 && n%4 == 0 && fourCC(h[8:12])
}

// topBoxes are the top-level box types of HEIF and MP4/QuickTime files;
// a box of another type (or none) where the next box would be ends the
// file.
var topBoxes = map[string]bool{
	"ftyp": true, "moov": true, "mdat": true, "meta": true, "free": true, "skip": true, "wide": true,
	"uuid": true, "moof": true, "mfra": true, "pdin": true, "styp": true, "sidx": true, "udta": true,
	"pnot": true, "prfl": true, "emsg": true, "prft": true, "junk": true, "beam": true,
}

// walkISOBMFF follows the top-level boxes of the HEIF or MP4 file at off
// until one that is not a top-level box. It keeps files with a movie or
// item metadata box, and files with media data whose movie box was lost
// (marked truncated: the media data is still evidence); a box that runs
// past the end of the range cuts the file after the last whole box.
func walkISOBMFF(s *src, off int64) (Item, bool) {
	h := s.get(off, 1024)
	if !isFtyp(h) || int(binary.BigEndian.Uint32(h)) > len(h) {
		return Item{}, false
	}
	ext := ftypExt(h[:binary.BigEndian.Uint32(h)])
	p := off
	var moov, meta, mdat, cut bool
	for {
		b := s.get(p, 16)
		if len(b) < 8 || !topBoxes[string(b[4:8])] {
			break
		}
		typ := string(b[4:8]) // b is not valid past the next read
		n := int64(binary.BigEndian.Uint32(b))
		hdr := int64(8)
		if n == 1 {
			if len(b) < 16 {
				break
			}
			n, hdr = int64(binary.BigEndian.Uint64(b[8:])), 16
		}
		if n < hdr || n > s.max || !s.has(p, n) {
			cut = n >= hdr // n == 0 (to the end of the file) is unknowable
			break
		}
		switch typ {
		case "moov", "moof":
			moov = true
		case "meta":
			meta = true
		case "mdat":
			mdat = true
		}
		p += n
	}
	switch {
	case moov && mdat, meta:
		return Item{Off: off, Len: p - off, Ext: ext, Truncated: cut}, true
	case mdat:
		return Item{Off: off, Len: p - off, Ext: ext, Truncated: true}, true
	}
	return Item{}, false
}

// ftypExt names the extension of a file from its ftyp box.
func ftypExt(ftyp []byte) string {
	if len(ftyp) < 12 {
		return "mp4"
	}
	brands := []string{string(ftyp[8:12])}
	for i := 16; i+4 <= len(ftyp); i += 4 {
		brands = append(brands, string(ftyp[i:i+4]))
	}
	has := func(set string) bool {
		for _, b := range brands {
			if strings.Contains(set, b+",") {
				return true
			}
		}
		return false
	}
	switch {
	case has("avif,avis,"):
		return "avif"
	case has("heic,heix,heim,heis,hevc,hevx,mif1,msf1,"):
		return "heic"
	case brands[0] == "qt  ":
		return "mov"
	case strings.HasPrefix(brands[0], "3g"):
		return "3gp"
	}
	return "mp4"
}
