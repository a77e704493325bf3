package heif

import (
	"errors"
	"fmt"
	"slices"
)

// Errors that Parse's errors wrap (test with errors.Is).
var (
	// ErrInvalid: the file is malformed.
	ErrInvalid = errors.New("malformed HEIF")
	// ErrTooLarge: the file is well-formed but over Limits.
	ErrTooLarge = errors.New("HEIF over the limits")
	// ErrUnsupported: the file uses a feature the decoders do not handle
	// (another codec, external data, protected items).
	ErrUnsupported = errors.New("unsupported HEIF")
)

// Error is an error from Parse: a message for people and one of the
// sentinel errors above.
type Error struct {
	Kind error
	Msg  string
}

// Error returns the message.
func (e *Error) Error() string { return "heif: " + e.Msg }

// Unwrap returns the sentinel error, for errors.Is.
func (e *Error) Unwrap() error { return e.Kind }

func errorf(format string, args ...any) error {
	return &Error{ErrInvalid, fmt.Sprintf(format, args...)}
}

func tooLarge(format string, args ...any) error {
	return &Error{ErrTooLarge, fmt.Sprintf(format, args...)}
}

func unsupported(format string, args ...any) error {
	return &Error{ErrUnsupported, fmt.Sprintf(format, args...)}
}

// Structural bounds, whatever Limits say: far above any camera's files,
// far below what would let a small file cost much work.
const (
	maxBoxes     = 1 << 16 // boxes read in the whole file
	maxItems     = 1 << 14 // items in iinf and iloc
	maxExtents   = 1 << 10 // extents of one item
	maxRefs      = 1 << 16 // references in iref, all types
	maxDepth     = 4       // derived items (grid, iden, iovl) nested
	maxEXIFBytes = 4 << 20 // an EXIF item's data
	// maxSide bounds any declared side, so that pixel counts (at most
	// 2^48 an item, and the sum stops at the limit) never overflow.
	maxSide = 1 << 24
)

// Limits bound what a file may declare. Zero fields take the defaults.
type Limits struct {
	// MaxPixels is the most pixels a decode of the primary image may
	// produce, counting every tile, the grid's canvas and the alpha plane.
	MaxPixels int64
	// MaxTiles is the most tiles a grid may have.
	MaxTiles int
}

// DefaultLimits: 64 MP as for every image Winnow decodes (a grid image
// counts its tiles and its canvas, so a 12 MP photo counts about 24 MP plus
// its alpha plane, if any), and 4,096 tiles (Apple's 48 MP photos have 192).
var DefaultLimits = Limits{MaxPixels: 64_000_000, MaxTiles: 4096}

// Mirror is an imir transform.
type Mirror int8

// Mirror values: imir's one bit, as libheif and libavif read it (0 flips
// the image top to bottom, 1 left to right).
const (
	MirrorNone      Mirror = -1
	MirrorTopBottom Mirror = 0
	MirrorLeftRight Mirror = 1
)

// Image is what Parse learns about a file's primary image.
type Image struct {
	// Brand is the ftyp major brand ("heic", "mif1", "avif"...) and
	// Compatible the compatible brands.
	Brand      string
	Compatible []string
	// Type is the primary item's type: "hvc1" (HEVC), "av01" (AV1), or a
	// derived image: "grid", "iden", "iovl".
	Type string
	// Codec is the coded items' type, "hvc1" or "av01".
	Codec string
	// Width and Height are the primary image's declared size, before
	// rotation (for a grid, its output size).
	Width, Height int
	// Rotation is the irot angle in degrees anticlockwise (0, 90, 180,
	// 270) and Mirror the imir axis; a decoder applies both.
	Rotation int
	Mirror   Mirror
	// Rows and Columns are a grid's layout (1 and 1 for a coded image),
	// TileWidth and TileHeight its tiles' size.
	Rows, Columns         int
	TileWidth, TileHeight int
	// Alpha reports an alpha plane (an auxiliary image) for the primary.
	Alpha bool
	// Depth is the bits per channel the pixi property declares, or 0.
	Depth int
	// Pixels is the number of pixels a decode produces: every coded item,
	// every derived canvas and the alpha plane.
	Pixels int64
	// EXIF is the primary image's EXIF data from its TIFF header on, or nil.
	EXIF []byte
}

// DisplaySize returns the size of the decoded image after rotation.
func (im *Image) DisplaySize() (w, h int) {
	if im.Rotation == 90 || im.Rotation == 270 {
		return im.Height, im.Width
	}
	return im.Width, im.Height
}

type extent struct{ off, len uint64 }

type item struct {
	typ       string
	hidden    bool
	protected bool
	located   bool
	method    uint32 // iloc construction method: 0 file, 1 idat, 2 item
	extents   []extent
	props     []uint32 // ipco indices, 1-based, in association order
	refs      map[string][]uint32
}

type property struct {
	typ  string
	body []byte
}

// file is a parsed meta box.
type file struct {
	b       []byte
	items   map[uint32]*item
	props   []property
	primary uint32
	idat    []byte
	hasPitm bool
	// auxOf maps an item to the items that reference it with auxl.
	auxOf map[uint32][]uint32
	// exifOf maps an item to the EXIF items describing it (cdsc).
	exifOf map[uint32][]uint32
}

// Parse reads the box structure of a whole HEIF file and checks its primary
// image against lim. It reads no coded data and decodes no pixels. Errors
// wrap ErrInvalid, ErrTooLarge or ErrUnsupported.
func Parse(b []byte, lim Limits) (*Image, error) {
	if lim.MaxPixels <= 0 {
		lim.MaxPixels = DefaultLimits.MaxPixels
	}
	if lim.MaxTiles <= 0 {
		lim.MaxTiles = DefaultLimits.MaxTiles
	}
	im := &Image{Mirror: MirrorNone}
	var meta *box
	budget := maxBoxes
	first := true
	err := boxes(b, 0, &budget, func(bx box) error {
		defer func() { first = false }()
		switch bx.typ {
		case "ftyp":
			if !first {
				return errorf("ftyp is not the first box")
			}
			r := newReader(bx)
			im.Brand = r.fourcc()
			r.u32() // minor version
			for r.err == nil && len(r.rest()) >= 4 {
				im.Compatible = append(im.Compatible, r.fourcc())
			}
			return r.err
		case "meta":
			if meta != nil {
				return errorf("two top-level meta boxes")
			}
			meta = &bx
		}
		if first {
			return errorf("no ftyp box first")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if meta == nil {
		return nil, errorf("no meta box: not a HEIF image")
	}
	f := &file{b: b, items: map[uint32]*item{}, auxOf: map[uint32][]uint32{}, exifOf: map[uint32][]uint32{}}
	if err := f.parseMeta(*meta, &budget); err != nil {
		return nil, err
	}
	if err := f.describe(im, lim); err != nil {
		return nil, err
	}
	return im, nil
}

func (f *file) parseMeta(meta box, budget *int) error {
	r := newReader(meta)
	r.fullBox()
	if r.err != nil {
		return r.err
	}
	seen := map[string]bool{}
	handler := ""
	err := boxes(r.rest(), meta.off+4, budget, func(bx box) error {
		switch bx.typ {
		case "hdlr", "pitm", "iloc", "iinf", "iref", "iprp", "idat":
			if seen[bx.typ] {
				return errorf("two %s boxes in meta", bx.typ)
			}
			seen[bx.typ] = true
		}
		switch bx.typ {
		case "hdlr":
			r := newReader(bx)
			r.fullBox()
			r.u32() // pre_defined
			handler = r.fourcc()
			return r.err
		case "pitm":
			r := newReader(bx)
			v, _ := r.fullBox()
			if v == 0 {
				f.primary = r.u16()
			} else {
				f.primary = r.u32()
			}
			f.hasPitm = true
			return r.err
		case "iinf":
			return f.parseIinf(bx, budget)
		case "iloc":
			return f.parseIloc(bx)
		case "iref":
			return f.parseIref(bx, budget)
		case "iprp":
			return f.parseIprp(bx, budget)
		case "idat":
			f.idat = bx.body
		}
		return nil
	})
	if err != nil {
		return err
	}
	if handler != "pict" {
		return unsupported("meta handler is %q, not an image (pict)", printable(handler))
	}
	if !f.hasPitm {
		return errorf("no primary item (pitm)")
	}
	return nil
}

func (f *file) item(id uint32) *item {
	it := f.items[id]
	if it == nil {
		it = &item{}
		f.items[id] = it
	}
	return it
}

func (f *file) checkItemCount() error {
	if len(f.items) > maxItems {
		return tooLarge("more than %d items", maxItems)
	}
	return nil
}

func (f *file) parseIinf(bx box, budget *int) error {
	r := newReader(bx)
	v, _ := r.fullBox()
	if v == 0 {
		r.u16()
	} else {
		r.u32()
	}
	if r.err != nil {
		return r.err
	}
	return boxes(r.rest(), bx.off+r.p, budget, func(e box) error {
		if e.typ != "infe" {
			return nil
		}
		r := newReader(e)
		v, flags := r.fullBox()
		if v < 2 {
			return nil // legacy entries carry no item type: not images
		}
		var id uint32
		if v == 2 {
			id = r.u16()
		} else {
			id = r.u32()
		}
		prot := r.u16()
		typ := r.fourcc()
		if r.err != nil {
			return r.err
		}
		it := f.item(id)
		if it.typ != "" {
			return errorf("item %d described twice", id)
		}
		it.typ, it.hidden, it.protected = typ, flags&1 != 0, prot != 0
		return f.checkItemCount()
	})
}

func (f *file) parseIloc(bx box) error {
	r := newReader(bx)
	v, _ := r.fullBox()
	if v > 2 {
		return unsupported("iloc version %d", v)
	}
	sizes := r.u16()
	offSize, lenSize, baseSize := int(sizes>>12), int(sizes>>8&15), int(sizes>>4&15)
	idxSize := 0
	if v > 0 {
		idxSize = int(sizes & 15)
	}
	var n uint32
	if v < 2 {
		n = r.u16()
	} else {
		n = r.u32()
	}
	for i := uint32(0); i < n && r.err == nil; i++ {
		var id uint32
		if v < 2 {
			id = r.u16()
		} else {
			id = r.u32()
		}
		method := uint32(0)
		if v > 0 {
			method = r.u16() & 15
		}
		dataRef := r.u16()
		base := r.uint(baseSize)
		count := r.u16()
		if r.err != nil {
			break
		}
		if count > maxExtents {
			return tooLarge("item %d has %d extents, over %d", id, count, maxExtents)
		}
		it := f.item(id)
		if it.located {
			return errorf("item %d located twice", id)
		}
		it.located, it.method = true, method
		if dataRef != 0 {
			it.method = 99 // data in another file: never read
		}
		for range count {
			r.uint(idxSize)
			off := r.uint(offSize)
			n := r.uint(lenSize)
			if base > 1<<62 || off > 1<<62 {
				return errorf("item %d extent offset out of range", id)
			}
			it.extents = append(it.extents, extent{base + off, n})
		}
		if err := f.checkItemCount(); err != nil {
			return err
		}
	}
	return r.err
}

func (f *file) parseIref(bx box, budget *int) error {
	r := newReader(bx)
	v, _ := r.fullBox()
	if r.err != nil {
		return r.err
	}
	total := 0
	return boxes(r.rest(), bx.off+4, budget, func(e box) error {
		r := newReader(e)
		id := func() uint32 {
			if v == 0 {
				return r.u16()
			}
			return r.u32()
		}
		from := id()
		n := r.u16()
		if r.err != nil {
			return r.err
		}
		if total += int(n); total > maxRefs {
			return tooLarge("more than %d item references", maxRefs)
		}
		to := make([]uint32, 0, min(int(n), len(r.rest())/2))
		for range n {
			to = append(to, id())
		}
		if r.err != nil {
			return r.err
		}
		it := f.item(from)
		if it.refs == nil {
			it.refs = map[string][]uint32{}
		}
		if len(it.refs[e.typ]) > 0 {
			return errorf("item %d has two %q reference boxes", from, printable(e.typ))
		}
		it.refs[e.typ] = to
		switch e.typ {
		case "auxl":
			for _, t := range to {
				f.auxOf[t] = append(f.auxOf[t], from)
			}
		case "cdsc":
			for _, t := range to {
				f.exifOf[t] = append(f.exifOf[t], from)
			}
		}
		return f.checkItemCount()
	})
}

func (f *file) parseIprp(bx box, budget *int) error {
	var ipma []box
	err := boxes(bx.body, bx.off, budget, func(c box) error {
		switch c.typ {
		case "ipco":
			if f.props != nil {
				return errorf("two ipco boxes")
			}
			f.props = []property{}
			return boxes(c.body, c.off, budget, func(p box) error {
				f.props = append(f.props, property{p.typ, p.body})
				return nil
			})
		case "ipma":
			ipma = append(ipma, c)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range ipma {
		r := newReader(c)
		v, flags := r.fullBox()
		n := r.u32()
		for i := uint32(0); i < n && r.err == nil; i++ {
			var id uint32
			if v < 1 {
				id = r.u16()
			} else {
				id = r.u32()
			}
			cnt := r.u8()
			if r.err != nil {
				break
			}
			it := f.item(id)
			if it.props != nil {
				return errorf("item %d has two property associations", id)
			}
			it.props = make([]uint32, 0, cnt)
			for range cnt {
				var idx uint32
				if flags&1 != 0 {
					idx = r.u16() & 0x7fff
				} else {
					idx = r.u8() & 0x7f
				}
				if idx == 0 {
					continue
				}
				if int(idx) > len(f.props) {
					return errorf("item %d refers to property %d of %d", id, idx, len(f.props))
				}
				it.props = append(it.props, idx)
			}
			if err := f.checkItemCount(); err != nil {
				return err
			}
		}
		if r.err != nil {
			return r.err
		}
	}
	return nil
}

// prop returns the body of the item's first property of type typ.
func (f *file) prop(it *item, typ string) ([]byte, bool) {
	for _, idx := range it.props {
		if p := f.props[idx-1]; p.typ == typ {
			return p.body, true
		}
	}
	return nil, false
}

// ispe returns an item's declared size.
func (f *file) ispe(id uint32, it *item) (w, h int, err error) {
	body, ok := f.prop(it, "ispe")
	if !ok {
		return 0, 0, errorf("item %d (%s) has no size (ispe)", id, printable(it.typ))
	}
	r := newReader(box{typ: "ispe", body: body})
	r.fullBox()
	w64, h64 := r.u32(), r.u32()
	if r.err != nil {
		return 0, 0, r.err
	}
	if w64 == 0 || h64 == 0 {
		return 0, 0, errorf("item %d declares an empty size %dx%d", id, w64, h64)
	}
	if w64 > maxSide || h64 > maxSide {
		return 0, 0, tooLarge("item %d declares %dx%d pixels", id, w64, h64)
	}
	return int(w64), int(h64), nil
}

// data returns an item's bytes, at most max of them.
func (f *file) data(id uint32, it *item, max int) ([]byte, error) {
	if !it.located {
		return nil, errorf("item %d has no location (iloc)", id)
	}
	var src []byte
	switch it.method {
	case 0:
		src = f.b
	case 1:
		src = f.idat
	default:
		return nil, unsupported("item %d is stored by reference or in another file", id)
	}
	var out []byte
	for _, e := range it.extents {
		n := e.len
		if n == 0 && len(it.extents) == 1 {
			n = uint64(len(src)) - min(e.off, uint64(len(src)))
		}
		if e.off > uint64(len(src)) || n > uint64(len(src))-e.off {
			return nil, errorf("item %d extent %d+%d runs past the data (%d bytes)", id, e.off, n, len(src))
		}
		if len(out)+int(n) > max {
			return nil, tooLarge("item %d holds more than %d bytes", id, max)
		}
		out = append(out, src[e.off:e.off+n]...)
	}
	return out, nil
}

// checkExtents checks that a coded item's data lies inside the file.
func (f *file) checkExtents(id uint32, it *item) error {
	if !it.located {
		return errorf("item %d has no location (iloc)", id)
	}
	if it.method > 1 {
		return unsupported("item %d is stored by reference or in another file", id)
	}
	src := uint64(len(f.b))
	if it.method == 1 {
		src = uint64(len(f.idat))
	}
	if len(it.extents) == 0 {
		return errorf("item %d has no data", id)
	}
	for _, e := range it.extents {
		if e.off > src || e.len > src-e.off {
			return errorf("item %d extent %d+%d runs past the data (%d bytes)", id, e.off, e.len, src)
		}
	}
	return nil
}

// describe fills im from the primary item and checks it against lim.
func (f *file) describe(im *Image, lim Limits) error {
	id := f.primary
	it := f.items[id]
	if it == nil || it.typ == "" {
		return errorf("primary item %d is not described (iinf)", id)
	}
	if it.protected {
		return unsupported("primary item is protected (encrypted)")
	}
	im.Type = it.typ
	w, h, err := f.ispe(id, it)
	if it.typ == "grid" || it.typ == "iovl" {
		err = nil // a derived canvas declares its size in its data too
	}
	if err != nil {
		return err
	}
	im.Width, im.Height, im.Rows, im.Columns = w, h, 1, 1
	walk := &walker{f: f, lim: lim, im: im, seen: map[uint32]bool{}}
	if err := walk.image(id, 0); err != nil {
		return err
	}
	if im.Width == 0 || im.Height == 0 {
		return errorf("primary image has an empty size")
	}
	for _, a := range f.auxOf[id] {
		ait := f.items[a]
		if ait == nil || !f.isAlpha(ait) {
			continue
		}
		walk.codedOnly = true
		if err := walk.image(a, 0); err != nil {
			return fmt.Errorf("alpha plane: %w", err)
		}
		im.Alpha = true
		break
	}
	for _, idx := range it.props {
		p := f.props[idx-1]
		switch p.typ {
		case "irot":
			if len(p.body) < 1 {
				return errorf("irot is empty")
			}
			im.Rotation = int(p.body[0]&3) * 90
		case "imir":
			if len(p.body) < 1 {
				return errorf("imir is empty")
			}
			im.Mirror = Mirror(p.body[0] & 1)
		case "pixi":
			if len(p.body) >= 6 && p.body[4] > 0 {
				im.Depth = int(p.body[5])
			}
		}
	}
	if im.Depth == 0 && walk.firstCoded != nil {
		if body, ok := f.prop(walk.firstCoded, "pixi"); ok && len(body) >= 6 && body[4] > 0 {
			im.Depth = int(body[5])
		}
	}
	im.EXIF = f.exif(id)
	return nil
}

// isAlpha reports whether an auxiliary item is an alpha plane.
func (f *file) isAlpha(it *item) bool {
	body, ok := f.prop(it, "auxC")
	if !ok || len(body) < 5 {
		return false
	}
	urn := string(body[4:])
	if i := slices.Index(body[4:], 0); i >= 0 {
		urn = string(body[4 : 4+i])
	}
	return urn == "urn:mpeg:mpegB:cicp:systems:auxiliary:alpha" || urn == "urn:mpeg:hevc:2015:auxid:1"
}

// walker follows a derived image's references down to its coded items,
// adding up the pixels a decode will produce.
type walker struct {
	f          *file
	lim        Limits
	im         *Image
	seen       map[uint32]bool
	firstCoded *item
	codedOnly  bool // the alpha plane: any coded item, no new layout
}

func (w *walker) add(px int64) error {
	w.im.Pixels += px
	if w.im.Pixels > w.lim.MaxPixels {
		return tooLarge("decoding would produce %.1f MP, over the limit of %.1f MP",
			float64(w.im.Pixels)/1e6, float64(w.lim.MaxPixels)/1e6)
	}
	return nil
}

func (w *walker) coded(id uint32, it *item) error {
	switch it.typ {
	case "hvc1", "av01":
	default:
		return unsupported("item %d is coded as %q; HEVC (hvc1) and AV1 (av01) are supported", id, printable(it.typ))
	}
	if w.im.Codec == "" {
		w.im.Codec = it.typ
	}
	if it.typ != w.im.Codec && !w.codedOnly {
		return unsupported("image mixes %s and %s items", w.im.Codec, it.typ)
	}
	cfg := map[string]string{"hvc1": "hvcC", "av01": "av1C"}[it.typ]
	if _, ok := w.f.prop(it, cfg); !ok {
		return errorf("item %d has no decoder configuration (%s)", id, cfg)
	}
	if it.protected {
		return unsupported("item %d is protected (encrypted)", id)
	}
	if err := w.f.checkExtents(id, it); err != nil {
		return err
	}
	if w.firstCoded == nil {
		w.firstCoded = it
	}
	return nil
}

func (w *walker) image(id uint32, depth int) error {
	if depth > maxDepth {
		return tooLarge("derived images nested more than %d deep", maxDepth)
	}
	if w.seen[id] {
		return errorf("item %d is referenced in a loop or twice on one path", id)
	}
	w.seen[id] = true
	defer delete(w.seen, id)
	it := w.f.items[id]
	if it == nil || it.typ == "" {
		return errorf("item %d is referenced but not described", id)
	}
	switch it.typ {
	case "grid":
		return w.grid(id, it, depth)
	case "iovl":
		return w.overlay(id, it, depth)
	case "iden":
		refs := it.refs["dimg"]
		if len(refs) != 1 {
			return errorf("identity item %d has %d inputs, want 1", id, len(refs))
		}
		return w.image(refs[0], depth+1)
	}
	if err := w.coded(id, it); err != nil {
		return err
	}
	iw, ih, err := w.f.ispe(id, it)
	if err != nil {
		return err
	}
	if depth == 0 && !w.codedOnly {
		w.im.TileWidth, w.im.TileHeight = iw, ih
	}
	return w.add(int64(iw) * int64(ih))
}

// canvas reads the header of a derived image's data: version 0, flags,
// mid bytes of its own (a grid's rows and columns, an overlay's fill
// colour), and the output size in 16-bit fields, or 32-bit when flags bit 0
// is set.
func (w *walker) canvas(id uint32, it *item, typ string, mid int) (midBytes []byte, ow, oh int, err error) {
	d, err := w.f.data(id, it, 64)
	if err != nil {
		return nil, 0, 0, err
	}
	r := newReader(box{typ: typ, body: d})
	ver := r.u8()
	flags := r.u8()
	if r.need(mid) {
		midBytes = r.b[r.p : r.p+mid]
		r.p += mid
	}
	fieldSize := 2
	if flags&1 != 0 {
		fieldSize = 4
	}
	ow, oh = int(r.uint(fieldSize)), int(r.uint(fieldSize))
	if r.err != nil {
		return nil, 0, 0, r.err
	}
	if ver != 0 {
		return nil, 0, 0, unsupported("%s version %d", typ, ver)
	}
	return midBytes, ow, oh, nil
}

func (w *walker) grid(id uint32, it *item, depth int) error {
	mid, ow, oh, err := w.canvas(id, it, "grid", 2)
	if err != nil {
		return err
	}
	rows, cols := int(mid[0])+1, int(mid[1])+1
	if ow == 0 || oh == 0 {
		return errorf("grid %d declares an empty size %dx%d", id, ow, oh)
	}
	if ow > maxSide || oh > maxSide {
		return tooLarge("grid %d declares %dx%d pixels", id, ow, oh)
	}
	if rows*cols > w.lim.MaxTiles {
		return tooLarge("grid of %dx%d tiles, over the limit of %d", cols, rows, w.lim.MaxTiles)
	}
	if err := w.add(int64(ow) * int64(oh)); err != nil {
		return fmt.Errorf("%w (a %dx%d grid of %d tiles)", err, ow, oh, rows*cols)
	}
	tiles := it.refs["dimg"]
	if len(tiles) != rows*cols {
		return errorf("grid %d has %d tiles, its layout %dx%d needs %d", id, len(tiles), cols, rows, rows*cols)
	}
	var tw, th int
	for i, t := range tiles {
		tit := w.f.items[t]
		if tit == nil || tit.typ == "" {
			return errorf("grid tile %d is not described", t)
		}
		if err := w.coded(t, tit); err != nil {
			return err
		}
		x, y, err := w.f.ispe(t, tit)
		if err != nil {
			return err
		}
		if i == 0 {
			tw, th = x, y
		} else if x != tw || y != th {
			return errorf("grid %d mixes tile sizes %dx%d and %dx%d", id, tw, th, x, y)
		}
		if err := w.add(int64(x) * int64(y)); err != nil {
			return fmt.Errorf("%w (a %dx%d grid of %d tiles)", err, ow, oh, rows*cols)
		}
	}
	if tw*cols < ow || th*rows < oh {
		return errorf("grid %d: %dx%d tiles of %dx%d do not cover %dx%d", id, cols, rows, tw, th, ow, oh)
	}
	if depth == 0 && !w.codedOnly {
		w.im.Width, w.im.Height = ow, oh
		w.im.Rows, w.im.Columns = rows, cols
		w.im.TileWidth, w.im.TileHeight = tw, th
	}
	return nil
}

func (w *walker) overlay(id uint32, it *item, depth int) error {
	_, ow, oh, err := w.canvas(id, it, "iovl", 8) // after the fill colour
	if err != nil {
		return err
	}
	if ow == 0 || oh == 0 || ow > maxSide || oh > maxSide {
		return errorf("overlay %d declares a size of %dx%d", id, ow, oh)
	}
	if err := w.add(int64(ow) * int64(oh)); err != nil {
		return err
	}
	refs := it.refs["dimg"]
	if len(refs) == 0 || len(refs) > w.lim.MaxTiles {
		return errorf("overlay %d has %d inputs", id, len(refs))
	}
	for _, ref := range refs {
		if err := w.image(ref, depth+1); err != nil {
			return err
		}
	}
	if depth == 0 && !w.codedOnly {
		w.im.Width, w.im.Height = ow, oh
	}
	return nil
}

// exif returns the TIFF data of the first EXIF item describing id, or of
// the file's first EXIF item if none says what it describes.
func (f *file) exif(primary uint32) []byte {
	ids := f.exifOf[primary]
	if len(ids) == 0 {
		for id, it := range f.items {
			if it.typ == "Exif" && len(it.refs["cdsc"]) == 0 {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
	}
	for _, id := range ids {
		it := f.items[id]
		if it == nil || it.typ != "Exif" {
			continue
		}
		d, err := f.data(id, it, maxEXIFBytes)
		if err != nil || len(d) < 4 {
			continue
		}
		off := uint64(d[0])<<24 | uint64(d[1])<<16 | uint64(d[2])<<8 | uint64(d[3])
		if t := d[4:]; off < uint64(len(t)) && isTIFF(t[off:]) {
			return t[off:]
		}
		// Some writers get the offset wrong: look for the header nearby.
		for i := 4; i+4 <= len(d) && i < 68; i++ {
			if isTIFF(d[i:]) {
				return d[i:]
			}
		}
	}
	return nil
}

func isTIFF(b []byte) bool {
	return len(b) >= 8 && (string(b[:4]) == "II*\x00" || string(b[:4]) == "MM\x00*")
}
