// Package heiftest writes small HEIC files for tests: single images and
// grids built from one embedded, generated 256x256 HEVC tile, with rotation,
// mirroring and EXIF, and decompression bombs whose grid declares far more
// pixels than it holds. The tile was encoded by Debian's heif-enc from a
// generated image (testdata/README.md); the content is abstract and benign.
package heiftest

import (
	"bytes"
	_ "embed"
	"encoding/binary"
)

var (
	//go:embed testdata/tile.hvcc
	tileConfig []byte // the body of the tile's hvcC box
	//go:embed testdata/tile.hevc
	tileData []byte // the tile's coded data (length-prefixed NAL units)
)

// TileSide is the size of the embedded tile.
const TileSide = 256

// Options describe a HEIC file. The zero value is one 256x256 image.
type Options struct {
	// Rows and Columns make a grid of that many copies of the tile; zero
	// makes a single coded image.
	Rows, Columns int
	// Width and Height are the grid's declared output size; zero means
	// the tiles' size times the layout.
	Width, Height int
	// TileSide overrides the tiles' declared size (ispe), whatever their
	// coded size, as a bomb would.
	TileSide int
	// ShareExtent points every tile at one copy of the coded data.
	ShareExtent bool
	// Rotation is an irot angle in degrees anticlockwise (0, 90, 180, 270).
	Rotation int
	// Mirror adds an imir property: 1 flips top to bottom (imir axis 0),
	// 2 left to right (axis 1); 0 adds none.
	Mirror int
	// EXIF is TIFF data stored as the image's Exif item.
	EXIF []byte
	// Brand is the ftyp major brand; "" means "heic".
	Brand string
}

// HEIC returns a HEIF file built as opt says.
func HEIC(opt Options) []byte {
	grid := opt.Rows > 0 && opt.Columns > 0
	tiles := 1
	if grid {
		tiles = opt.Rows * opt.Columns
	}
	side := TileSide
	if opt.TileSide > 0 {
		side = opt.TileSide
	}
	// Item IDs: 1 the primary; 2.. the tiles of a grid; then EXIF.
	tileID := func(i int) int {
		if grid {
			return 2 + i
		}
		return 1
	}
	exifID := tileID(tiles-1) + 1

	// Property indices (1-based): hvcC, tile ispe, grid ispe, irot, imir.
	var ipco bytes.Buffer
	ipco.Write(mkbox("hvcC", tileConfig))
	ipco.Write(fullbox("ispe", 0, 0, u32(side), u32(side)))
	gw, gh := opt.Width, opt.Height
	if gw == 0 {
		gw = side * opt.Columns
	}
	if gh == 0 {
		gh = side * opt.Rows
	}
	ipco.Write(fullbox("ispe", 0, 0, u32(gw), u32(gh)))
	ipco.Write(mkbox("irot", []byte{byte(opt.Rotation / 90 & 3)}))
	ipco.Write(mkbox("imir", []byte{byte(opt.Mirror-1) & 1}))
	transforms := []byte{}
	if opt.Rotation != 0 {
		transforms = append(transforms, 4)
	}
	if opt.Mirror > 0 {
		transforms = append(transforms, 5)
	}

	var infe, ipma, iref bytes.Buffer
	nItems := 0
	addInfe := func(id int, typ string, hidden bool) {
		flags := 0
		if hidden {
			flags = 1
		}
		infe.Write(fullbox("infe", 2, flags, u16(id), u16(0), []byte(typ), []byte{0}))
		nItems++
	}
	addIpma := func(id int, props ...byte) {
		ipma.Write(u16(id))
		ipma.WriteByte(byte(len(props)))
		for _, p := range props {
			if p == 1 {
				p |= 0x80 // the decoder configuration is essential
			}
			ipma.WriteByte(p)
		}
	}
	nAssoc := 0
	if grid {
		addInfe(1, "grid", false)
		addIpma(1, append([]byte{3}, transforms...)...)
		nAssoc++
		var dimg bytes.Buffer
		dimg.Write(u16(1))
		dimg.Write(u16(tiles))
		for i := range tiles {
			addInfe(tileID(i), "hvc1", true)
			addIpma(tileID(i), 1, 2)
			nAssoc++
			dimg.Write(u16(tileID(i)))
		}
		iref.Write(mkbox("dimg", dimg.Bytes()))
	} else {
		addInfe(1, "hvc1", false)
		addIpma(1, append([]byte{1, 2}, transforms...)...)
		nAssoc++
	}
	var exifData []byte
	if opt.EXIF != nil {
		addInfe(exifID, "Exif", true)
		exifData = append(u32(0), opt.EXIF...)
		iref.Write(mkbox("cdsc", cat(u16(exifID), u16(1), u16(1))))
	}

	gridData := []byte{0, 0, byte(opt.Rows - 1), byte(opt.Columns - 1)}
	gridData = append(gridData, u16(gw)...)
	gridData = append(gridData, u16(gh)...)

	// The meta box's size does not depend on the offsets it holds, so
	// build it once to learn where mdat starts, then again.
	build := func(mdat int) []byte {
		var iloc bytes.Buffer
		iloc.Write(u16(0x4400)) // offset and length 4 bytes, no base offset or index
		n := tiles
		if grid {
			n++
		}
		if exifData != nil {
			n++
		}
		iloc.Write(u16(n))
		if grid {
			iloc.Write(cat(u16(1), u16(1), u16(0), u16(1), u32(0), u32(len(gridData)))) // in idat
		}
		off := mdat
		for i := range tiles {
			iloc.Write(cat(u16(tileID(i)), u16(0), u16(0), u16(1), u32(off), u32(len(tileData))))
			if !opt.ShareExtent {
				off += len(tileData)
			}
		}
		if opt.ShareExtent {
			off += len(tileData)
		}
		if exifData != nil {
			iloc.Write(cat(u16(exifID), u16(0), u16(0), u16(1), u32(off), u32(len(exifData))))
		}
		children := [][]byte{
			fullbox("hdlr", 0, 0, u32(0), []byte("pict"), make([]byte, 12), []byte{0}),
			fullbox("pitm", 0, 0, u16(1)),
			fullbox("iinf", 0, 0, u16(nItems), infe.Bytes()),
			fullbox("iloc", 1, 0, iloc.Bytes()),
			mkbox("iprp", cat(mkbox("ipco", ipco.Bytes()), fullbox("ipma", 0, 0, u32(nAssoc), ipma.Bytes()))),
		}
		if iref.Len() > 0 {
			children = append(children, fullbox("iref", 0, 0, iref.Bytes()))
		}
		if grid {
			children = append(children, mkbox("idat", gridData))
		}
		return fullbox("meta", 0, 0, children...)
	}
	brand := opt.Brand
	if brand == "" {
		brand = "heic"
	}
	ftyp := mkbox("ftyp", []byte(brand), u32(0), []byte("mif1heic"))
	meta := build(0)
	mdatStart := len(ftyp) + len(meta) + 8
	meta = build(mdatStart)
	var mdat bytes.Buffer
	copies := tiles
	if opt.ShareExtent {
		copies = 1
	}
	for range copies {
		mdat.Write(tileData)
	}
	mdat.Write(exifData)
	return cat(ftyp, meta, mkbox("mdat", mdat.Bytes()))
}

func u16(v int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(v)) }
func u32(v int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func mkbox(typ string, body ...[]byte) []byte {
	b := cat(body...)
	return cat(u32(8+len(b)), []byte(typ), b)
}

func fullbox(typ string, version, flags int, body ...[]byte) []byte {
	return mkbox(typ, append([][]byte{u32(version<<24 | flags)}, body...)...)
}
