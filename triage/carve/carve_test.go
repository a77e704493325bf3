package carve

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/image/bmp"
)

// picture draws a benign w x h picture: gradients, shapes and noise (so
// that it does not compress to nothing), different for each seed.
func picture(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 7))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := uint8(rng.IntN(48))
			m.Set(x, y, color.RGBA{uint8(x*255/w) ^ n, uint8(y*255/h) + n, uint8((x + y + int(seed)*37) % 256), 255})
		}
	}
	c := color.RGBA{uint8(seed * 50), 200, uint8(255 - seed*30), 255}
	draw.Draw(m, image.Rect(w/4, h/4, w/2, h/2), &image.Uniform{c}, image.Point{}, draw.Src)
	return m
}

func mustJPEG(t testing.TB, w, h int, seed uint64) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, picture(w, h, seed), &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withThumbnail puts thumb into an EXIF APP1 segment of j (IFD1's
// JPEGInterchangeFormat), as cameras store their previews.
func withThumbnail(t testing.TB, j, thumb []byte) []byte {
	t.Helper()
	var tiff bytes.Buffer
	le := binary.LittleEndian
	tiff.WriteString("II*\x00")
	binary.Write(&tiff, le, uint32(8))
	binary.Write(&tiff, le, uint16(0))  // IFD0: no entries
	binary.Write(&tiff, le, uint32(14)) // next: IFD1
	binary.Write(&tiff, le, uint16(2))
	for _, e := range [][3]uint32{{0x0201, 4, 44}, {0x0202, 4, uint32(len(thumb))}} {
		binary.Write(&tiff, le, uint16(e[0]))
		binary.Write(&tiff, le, uint16(e[1]))
		binary.Write(&tiff, le, uint32(1))
		binary.Write(&tiff, le, e[2])
	}
	binary.Write(&tiff, le, uint32(0))
	tiff.Write(thumb)
	app1 := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	if len(app1)+2 > 0xffff {
		t.Fatal("thumbnail too big")
	}
	out := []byte{0xff, 0xd8, 0xff, 0xe1, byte((len(app1) + 2) >> 8), byte(len(app1) + 2)}
	out = append(out, app1...)
	return append(out, j[2:]...)
}

func mustPNG(t testing.TB, w, h int, seed uint64) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, picture(w, h, seed)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mustGIF(t testing.TB, w, h int, seed uint64) []byte {
	t.Helper()
	p := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9)
	draw.Draw(p, p.Rect, picture(w, h, seed), image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := gif.Encode(&b, p, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mustBMP(t testing.TB, w, h int, seed uint64) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := bmp.Encode(&b, picture(w, h, seed)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// blob builds bytes of random garbage with files placed in them.
type blob struct {
	b    []byte
	want []Item
}

func newBlob(size int, seed uint64) *blob {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return &blob{b: b}
}

// put writes data at off and expects the item it (Off and Len filled
// from off and data when zero).
func (bl *blob) put(off int, data []byte, it Item) {
	copy(bl.b[off:], data)
	if it.Ext == "" {
		return
	}
	it.Off = int64(off)
	if it.Len == 0 {
		it.Len = int64(len(data))
	}
	bl.want = append(bl.want, it)
}

func scanAll(t testing.TB, b []byte, opt Options) []Item {
	t.Helper()
	var got []Item
	err := Scan(context.Background(), bytes.NewReader(b), 0, int64(len(b)), opt, func(it Item) error {
		got = append(got, it)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestScanBlob(t *testing.T) {
	const s = Sector
	bl := newBlob(4<<20, 1)
	thumb := mustJPEG(t, 80, 60, 9)
	withThumb := withThumbnail(t, mustJPEG(t, 640, 480, 1), thumb)
	bl.put(3*s, withThumb, Item{Ext: "jpg"})
	bl.want = append(bl.want, Item{Off: 3*s + 56, Len: int64(len(thumb)), Ext: "jpg", Embedded: true})
	bl.put(401*s, mustPNG(t, 300, 200, 2), Item{Ext: "png"})
	bl.put(1001*s, mustGIF(t, 120, 90, 3), Item{Ext: "gif"})
	bl.put(1203*s, mustBMP(t, 101, 77, 4), Item{Ext: "bmp"})
	bl.put(1555*s, mustRead(t, "testdata/card.webp"), Item{Ext: "webp"})
	bl.put(1601*s, mustRead(t, "testdata/photo.heic"), Item{Ext: "heic"})
	bl.put(1701*s, mustRead(t, "testdata/clip.mp4"), Item{Ext: "mp4"})
	// Not at a sector boundary: not looked for.
	bl.put(1801*s+7, mustJPEG(t, 64, 64, 5), Item{})
	// A JPEG whose end was overwritten by a PNG at the next sector.
	j := mustJPEG(t, 320, 240, 6)
	cut := len(j) / 2 / s * s
	bl.put(2001*s, j[:cut], Item{Ext: "jpg", Len: int64(cut), Truncated: true})
	bl.put(2001*s+cut, mustPNG(t, 40, 30, 7), Item{Ext: "png"})
	// A JPEG whose end was zeroed (deleted space).
	j = mustJPEG(t, 320, 240, 8)
	cut = len(j)/2 + 100
	bl.put(2601*s, j[:cut], Item{Ext: "jpg", Len: int64((cut + s - 1) / s * s), Truncated: true})
	bl.put(2601*s+cut, make([]byte, 4*s-cut%s), Item{})
	// A PNG cut short: its chunks up to the last whole one.
	p := mustPNG(t, 256, 256, 10)
	pcut := len(p) * 2 / 3
	bl.put(3001*s, p[:pcut], Item{Ext: "png", Len: int64(lastChunkEnd(p, pcut)), Truncated: true})
	bl.put(3001*s+pcut, make([]byte, 2*s), Item{})
	// The embedded thumbnail alone, at a sector boundary.
	bl.put(7001*s, thumb, Item{Ext: "jpg"})
	// A photo whose picture was overwritten (zeros) after its EXIF
	// segment: the thumbnail survives.
	bl.put(7101*s, withThumb[:56+len(thumb)+100], Item{})
	bl.put(7101*s+56+len(thumb)+100, make([]byte, 2*s), Item{})
	bl.want = append(bl.want, Item{Off: 7101*s + 56, Len: int64(len(thumb)), Ext: "jpg", Embedded: true})

	got := scanAll(t, bl.b, Options{})
	if diff := cmp.Diff(bl.want, got); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}

// lastChunkEnd is where the last whole chunk of the PNG p before cut ends.
func lastChunkEnd(p []byte, cut int) int {
	at := 8
	for at+12 <= cut {
		n := int(binary.BigEndian.Uint32(p[at:]))
		if at+12+n > cut {
			break
		}
		at += 12 + n
	}
	return at
}

func TestScanBounds(t *testing.T) {
	j := mustJPEG(t, 400, 300, 1)
	bl := newBlob(1<<20, 2)
	bl.put(8*Sector, j, Item{Ext: "jpg"})
	// A range that starts past the header finds nothing; one that ends
	// inside the file keeps it cut there.
	for _, tc := range []struct {
		name     string
		off, end int64
		max      int64
		want     []Item
	}{
		{"whole", 0, int64(len(bl.b)), 0, bl.want},
		{"after the header", 8*Sector + 1, int64(len(bl.b)), 0, nil},
		{"unaligned start", 8*Sector - 100, int64(len(bl.b)), 0, bl.want},
		{"cut by the range", 0, 8*Sector + 4000, 0, []Item{{Off: 8 * Sector, Len: 4000, Ext: "jpg", Truncated: true}}},
		{"cut by MaxSize", 0, int64(len(bl.b)), 4000, []Item{{Off: 8 * Sector, Len: 4000, Ext: "jpg", Truncated: true}}},
	} {
		var got []Item
		err := Scan(context.Background(), bytes.NewReader(bl.b), tc.off, tc.end, Options{MaxSize: tc.max}, func(it Item) error {
			got = append(got, it)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// The cut JPEGs end at the last good byte before the limit,
		// within a few bytes of it.
		for i := range got {
			if got[i].Truncated && got[i].Len > 3900 && got[i].Len <= 4000 {
				got[i].Len = 4000
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: items (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestScanRefuses(t *testing.T) {
	j := mustJPEG(t, 64, 48, 1)
	p := mustPNG(t, 64, 48, 1)
	badCRC := bytes.Clone(p)
	badCRC[30] ^= 1 // inside IHDR
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"jpeg header only", j[:200]},
		{"jpeg without frame", append([]byte{0xff, 0xd8, 0xff, 0xda, 0, 2}, make([]byte, 600)...)},
		{"png IHDR with a bad CRC", badCRC},
		{"png without IDAT", p[:33]},
		{"gif without image", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")},
		{"bmp with a size too small", func() []byte {
			b := mustBMP(t, 64, 48, 1)
			binary.LittleEndian.PutUint32(b[2:], 100)
			return b
		}()},
		{"ftyp alone", []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")},
	} {
		b := make([]byte, 64*Sector)
		copy(b[Sector:], tc.data)
		if got := scanAll(t, b, Options{}); len(got) != 0 {
			t.Errorf("%s: carved %+v, want nothing", tc.name, got)
		}
	}
}

func TestScanStops(t *testing.T) {
	bl := newBlob(1<<20, 3)
	bl.put(0, mustPNG(t, 32, 32, 1), Item{Ext: "png"})
	bl.put(100*Sector, mustPNG(t, 32, 32, 2), Item{Ext: "png"})
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := Scan(ctx, bytes.NewReader(bl.b), 0, int64(len(bl.b)), Options{}, func(Item) error {
		n++
		cancel()
		return nil
	})
	if err != context.Canceled || n != 1 {
		t.Errorf("got %v after %d items, want context.Canceled after 1", err, n)
	}
}

// TestScanLostMovieBox keeps an MP4 whose end (its moov box) was
// overwritten, up to its media data, as truncated.
func TestScanLostMovieBox(t *testing.T) {
	mp4 := mustRead(t, "testdata/clip.mp4")
	// clip.mp4 is ftyp, moov, free?, mdat: rebuild it as ftyp, mdat and
	// garbage where moov would follow.
	var ftyp, mdat []byte
	for p := 0; p+8 <= len(mp4); {
		n := int(binary.BigEndian.Uint32(mp4[p:]))
		switch string(mp4[p+4 : p+8]) {
		case "ftyp":
			ftyp = mp4[p : p+n]
		case "mdat":
			mdat = mp4[p : p+n]
		}
		p += n
	}
	bl := newBlob(1<<20, 4)
	data := append(append([]byte{}, ftyp...), mdat...)
	bl.put(10*Sector, data, Item{Ext: "mp4", Truncated: true})
	if diff := cmp.Diff(bl.want, scanAll(t, bl.b, Options{})); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}

// TestScanCutByOthers: files whose end was overwritten by random data or
// by another file are kept up to their surviving data, and the file
// that overwrote them is found.
func TestScanCutByOthers(t *testing.T) {
	j := mustJPEG(t, 640, 480, 3)
	b := mustBMP(t, 200, 100, 4)
	g := mustGIF(t, 50, 40, 5)
	bl := newBlob(1<<20, 6)
	jcut := len(j) / 2
	bl.put(Sector, j[:jcut], Item{})
	bl.put(400*Sector, b[:20*Sector], Item{})
	bl.put(420*Sector, g, Item{Ext: "gif"})
	got := scanAll(t, bl.b, Options{})
	if len(got) != 3 {
		t.Fatalf("items %+v, want a JPEG, a BMP and a GIF", got)
	}
	// The JPEG's scan data runs on into the random bytes until they stop
	// looking like scan data, and decoding trims them to a sector.
	if it := got[0]; it.Off != Sector || !it.Truncated || it.Len < int64(jcut) || it.Len > int64(jcut)+Sector {
		t.Errorf("cut JPEG %+v, want %d to %d bytes", it, jcut, jcut+Sector)
	}
	// The BMP keeps its stated size (its pixels are raw: the overwritten
	// rows decode as whatever overwrote them), and the GIF inside it is
	// found.
	if diff := cmp.Diff([]Item{{Off: 400 * Sector, Len: int64(len(b)), Ext: "bmp"}, {Off: 420 * Sector, Len: int64(len(g)), Ext: "gif"}}, got[1:]); diff != "" {
		t.Errorf("BMP cut by a GIF (-want +got):\n%s", diff)
	}
}

// TestLastDecoded trims a cut JPEG followed by random bytes, whatever the
// length the structure walk found (the bisection once looped for ever
// when less than two sectors were left to split).
func TestLastDecoded(t *testing.T) {
	j := mustJPEG(t, 320, 240, 7)
	cut := len(j) / 2 / Sector * Sector
	bl := newBlob(len(j)+8*Sector, 8)
	bl.put(0, j[:cut], Item{})
	s := &src{r: bytes.NewReader(bl.b), max: DefaultMaxSize, store: make([]byte, window)}
	for n := cut - 3*Sector; n < cut+4*Sector; n += 97 {
		s.reset(int64(len(bl.b)))
		got := s.lastDecoded(Item{Off: 0, Len: int64(n), Ext: "jpg", Truncated: true})
		if got > int64(n) || got < int64(min(n, cut))-Sector {
			t.Errorf("length %d trimmed to %d, want about %d", n, got, min(n, cut))
		}
	}
}

// TestScanLargeBoxes carves an MP4 and a WebP whose media data is larger
// than the walkers' window (a box type was once read from a window the
// size check had refilled).
func TestScanLargeBoxes(t *testing.T) {
	mp4 := []byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41")
	mdat := make([]byte, 200<<10)
	binary.BigEndian.PutUint32(mdat, uint32(len(mdat)))
	copy(mdat[4:], "mdat")
	for i := 8; i < len(mdat); i++ {
		mdat[i] = byte(i*31 + i>>8)
	}
	mp4 = append(mp4, mdat...)
	mp4 = append(mp4, "\x00\x00\x00\x10moov\x00\x00\x00\x08free"...)
	bl := newBlob(1<<20, 11)
	bl.put(3*Sector, mp4, Item{Ext: "mp4"})
	if diff := cmp.Diff(bl.want, scanAll(t, bl.b, Options{})); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}
