package triagetest

import (
	"bytes"
	"encoding/binary"
)

// WithEXIF returns a copy of the JPEG j with an APP1 EXIF segment holding
// the given Make and Model (ASCII) tags, as a camera would write them. The
// values are test strings; the image content stays benign.
func WithEXIF(j []byte, camMake, camModel string) []byte {
	type tag struct {
		id  uint16
		val string
	}
	tags := []tag{{0x010f, camMake}, {0x0110, camModel}}
	var tiff bytes.Buffer
	le := binary.LittleEndian
	tiff.WriteString("II")
	binary.Write(&tiff, le, uint16(42))
	binary.Write(&tiff, le, uint32(8)) // IFD0 offset
	binary.Write(&tiff, le, uint16(len(tags)))
	dataOff := uint32(8 + 2 + 12*len(tags) + 4)
	var data bytes.Buffer
	for _, t := range tags {
		v := t.val + "\x00"
		binary.Write(&tiff, le, t.id)
		binary.Write(&tiff, le, uint16(2)) // ASCII
		binary.Write(&tiff, le, uint32(len(v)))
		if len(v) <= 4 {
			var b [4]byte
			copy(b[:], v)
			tiff.Write(b[:])
		} else {
			binary.Write(&tiff, le, dataOff+uint32(data.Len()))
			data.WriteString(v)
		}
	}
	binary.Write(&tiff, le, uint32(0)) // no next IFD
	tiff.Write(data.Bytes())
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	var out bytes.Buffer
	out.Write(j[:2]) // SOI
	out.Write([]byte{0xff, 0xe1})
	binary.Write(&out, binary.BigEndian, uint16(len(payload)+2))
	out.Write(payload)
	out.Write(j[2:])
	return out.Bytes()
}
