package hashing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

var update = flag.Bool("update", false, "rewrite generated testdata (hostile corpus, golden hashes)")

// hostileCorpus returns the hostile test files by name. Every one must give
// a per-item error, valid digests and no crash. They are generated here and
// written to testdata/hostile with -update so other packages (and people)
// can use the same files.
func hostileCorpus(t testing.TB) map[string][]byte {
	t.Helper()
	photo := triagetest.Photo(96, 64, 3)
	var jpg, pngb, gifb, bmpb, tifb bytes.Buffer
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(jpeg.Encode(&jpg, photo, &jpeg.Options{Quality: 80}))
	must(png.Encode(&pngb, photo))
	must(gif.Encode(&gifb, photo, nil))
	must(bmp.Encode(&bmpb, photo))
	must(tiff.Encode(&tifb, photo, nil))
	var one bytes.Buffer
	must(png.Encode(&one, image.NewGray(image.Rect(0, 0, 1, 1))))
	var progressive bytes.Buffer
	must(jpeg.Encode(&progressive, image.NewGray(image.Rect(0, 0, 1, 1)), nil))

	c := map[string][]byte{
		"zero-bytes.jpg":           {},
		"truncated.jpg":            jpg.Bytes()[:jpg.Len()/2],
		"truncated-header.jpg":     jpg.Bytes()[:40],
		"truncated.png":            pngb.Bytes()[:pngb.Len()/2],
		"truncated.gif":            gifb.Bytes()[:gifb.Len()/2],
		"truncated.bmp":            bmpb.Bytes()[:bmpb.Len()/2],
		"truncated.tiff":           tifb.Bytes()[:tifb.Len()/3],
		"one-pixel.png":            one.Bytes(),
		"one-pixel.jpg":            progressive.Bytes(),
		"huge-header-65535.jpg":    patchJPEGSize(t, jpg.Bytes(), 65535, 65535),
		"huge-header-65535.png":    patchPNGSize(t, pngb.Bytes(), 65535, 65535),
		"huge-header.gif":          patchGIFSize(gifb.Bytes(), 65535, 65535),
		"huge-header.bmp":          patchBMPSize(bmpb.Bytes(), 60000, 60000),
		"not-an-image.jpg":         []byte("This is a text file named like a JPEG.\n"),
		"jpeg-magic-then-junk.jpg": append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), bytes.Repeat([]byte{0xa5}, 300)...),
		"png-magic-then-junk.png":  append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0x5a}, 300)...),
		// A polyglot: a truncated JPEG with a zip local header glued on.
		"polyglot-jpeg-zip.jpg": append(append([]byte{}, jpg.Bytes()[:jpg.Len()/3]...), "PK\x03\x04\x14\x00\x00\x00\x08\x00"...),
		"heic-brand-only.heic":  ftyp("heic", "mif1", "heic"),
	}
	if *update {
		dir := filepath.Join("testdata", "hostile")
		must(os.MkdirAll(dir, 0o755))
		for name, b := range c {
			must(os.WriteFile(filepath.Join(dir, name), b, 0o644))
		}
	}
	return c
}

func patchJPEGSize(t testing.TB, b []byte, w, h int) []byte {
	b = append([]byte{}, b...)
	for i := 2; i+9 < len(b); {
		if b[i] != 0xff {
			t.Fatal("jpeg: lost marker sync")
		}
		m := b[i+1]
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if m == 0xc0 || m == 0xc2 {
			binary.BigEndian.PutUint16(b[i+5:], uint16(h))
			binary.BigEndian.PutUint16(b[i+7:], uint16(w))
			return b
		}
		i += 2 + n
	}
	t.Fatal("jpeg: no SOF")
	return nil
}

func patchPNGSize(t testing.TB, b []byte, w, h int) []byte {
	b = append([]byte{}, b...)
	if string(b[12:16]) != "IHDR" {
		t.Fatal("png: IHDR not first")
	}
	binary.BigEndian.PutUint32(b[16:], uint32(w))
	binary.BigEndian.PutUint32(b[20:], uint32(h))
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func patchGIFSize(b []byte, w, h int) []byte {
	b = append([]byte{}, b...)
	binary.LittleEndian.PutUint16(b[6:], uint16(w))
	binary.LittleEndian.PutUint16(b[8:], uint16(h))
	return b
}

func patchBMPSize(b []byte, w, h int) []byte {
	b = append([]byte{}, b...)
	binary.LittleEndian.PutUint32(b[18:], uint32(w))
	binary.LittleEndian.PutUint32(b[22:], uint32(h))
	return b
}

// hashers returns the Hasher configurations under test: the default (fast
// JPEG path when built in), the pure-Go path, and the default with the
// derived views matching uses.
func hashers(lim Limits) map[string]*Hasher {
	return map[string]*Hasher{
		"default": New(Options{Algos: triage.AlgosAll, Limits: lim}),
		"pure-go": New(Options{Algos: triage.AlgosAll, Limits: lim, NoFastJPEG: true}),
		"views":   New(Options{Algos: triage.AlgosAll, Limits: lim, Views: true}),
	}
}

// TestHostileCorpus feeds every hostile file to the bounded decoder and to
// the whole pipeline. The decoder must refuse each one with a classified
// error; the pipeline must give valid digests, no perceptual hashes, and a
// per-item error for everything that claims to be an image. (Files that are
// not images at all, such as zero-byte or text files, are not errors for the
// pipeline: they are digested and typed, just not decoded.)
func TestHostileCorpus(t *testing.T) {
	corpus := hostileCorpus(t)
	names := make([]string, 0, len(corpus))
	for n := range corpus {
		names = append(names, n)
	}
	sort.Strings(names)
	ctx := context.Background()
	for hname, h := range hashers(Limits{MaxPixels: 50_000_000}) {
		for _, name := range names {
			b := corpus[name]
			img, release, err := h.DecodeImage(ctx, b)
			if err == nil && strings.HasPrefix(name, "one-pixel") {
				release() // a valid image, refused only by the pipeline (too small to hash)
			} else if err == nil {
				release()
				t.Errorf("%s/%s: DecodeImage accepted it (%v)", hname, name, img.Bounds())
			} else if triage.ErrorCode(err) == triage.EINTERNAL {
				t.Errorf("%s/%s: DecodeImage internal error %v; want a classified error", hname, name, err)
			}

			fp := h.HashBytes(ctx, b)
			if fp.SHA256 != sha256.Sum256(b) || fp.Size != int64(len(b)) {
				t.Errorf("%s/%s: digests wrong or missing", hname, name)
			}
			if fp.Perceptual {
				t.Errorf("%s/%s: perceptual hashes reported for a broken file", hname, name)
			}
			if fp.Type.Kind == triage.KindImage && fp.Err == nil {
				t.Errorf("%s/%s: %s with no per-item error", hname, name, fp.Type.MIME)
			}
			if triage.ErrorCode(fp.Err) == triage.EINTERNAL {
				t.Errorf("%s/%s: internal error %v; want a classified per-item error", hname, name, fp.Err)
			}
			t.Logf("%s/%s: %s: decode: %v; pipeline: %v", hname, name, fp.Type.MIME, err, fp.Err)
		}
	}
}

// TestHugeHeaderRefusedBeforeAllocation checks that a decompression bomb is
// refused from its header: hashing it must not allocate anything near the
// declared 4 GP.
func TestHugeHeaderRefusedBeforeAllocation(t *testing.T) {
	corpus := hostileCorpus(t)
	for hname, h := range hashers(Limits{}) {
		for _, name := range []string{"huge-header-65535.jpg", "huge-header-65535.png", "huge-header.gif", "huge-header.bmp"} {
			b := corpus[name]
			var before, after runtimeMem
			before.read()
			fp := h.HashBytes(context.Background(), b)
			after.read()
			if triage.ErrorCode(fp.Err) != triage.ETOOLARGE {
				t.Errorf("%s/%s: error %v, want code %s", hname, name, fp.Err, triage.ETOOLARGE)
			}
			if grew := after.total - before.total; grew > 64<<20 {
				t.Errorf("%s/%s: allocated %d MiB while refusing", hname, name, grew>>20)
			}
		}
	}
}

func TestMinSide(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 200, 4))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	fp := New(Options{}).HashBytes(context.Background(), b.Bytes())
	if fp.Err == nil || fp.Width != 200 || fp.Height != 4 {
		t.Errorf("200x4 image: err %v, size %dx%d; want a too-small error with the size", fp.Err, fp.Width, fp.Height)
	}
}

// TestDecodeMemoryBudget runs more concurrent decodes than the budget holds
// and checks they all finish (they wait for room, they do not fail).
func TestDecodeMemoryBudget(t *testing.T) {
	img := triagetest.Photo(300, 200, 9)
	var b bytes.Buffer
	png.Encode(&b, img)
	h := New(Options{Limits: Limits{DecodeMemory: 300 * 200 * 8}})
	want := h.HashBytes(context.Background(), b.Bytes())
	if want.Err != nil {
		t.Fatal(want.Err)
	}
	done := make(chan triage.Fingerprint)
	for range 8 {
		go func() { done <- h.HashBytes(context.Background(), b.Bytes()) }()
	}
	for range 8 {
		if got := <-done; got.Err != nil || got.PDQ != want.PDQ {
			t.Errorf("concurrent hash under a tight budget: %v", got.Err)
		}
	}
}

func TestPalettedAndGrayAgree(t *testing.T) {
	// The same gray picture stored as 8-bit gray and as a paletted GIF must
	// hash identically: luma does not depend on the storage layout.
	g := image.NewGray(image.Rect(0, 0, 120, 90))
	for y := 0; y < 90; y++ {
		for x := 0; x < 120; x++ {
			g.SetGray(x, y, color.Gray{uint8((x*2 + y*3) & 0xf0)})
		}
	}
	pal := make(color.Palette, 256)
	for i := range pal {
		pal[i] = color.Gray{uint8(i)}
	}
	p := image.NewPaletted(g.Bounds(), pal)
	for i, v := range g.Pix {
		p.Pix[i] = v
	}
	var a, b bytes.Buffer
	png.Encode(&a, g)
	gif.Encode(&b, p, &gif.Options{NumColors: 256})
	h := New(Options{})
	fa, fb := h.HashBytes(context.Background(), a.Bytes()), h.HashBytes(context.Background(), b.Bytes())
	if fa.Err != nil || fb.Err != nil {
		t.Fatal(fa.Err, fb.Err)
	}
	if fa.PDQ != fb.PDQ || fa.PHash != fb.PHash || fa.DHash != fb.DHash {
		t.Errorf("gray PNG and paletted GIF hash differently: %s/%s vs %s/%s", fa.PDQ, fa.PHash, fb.PDQ, fb.PHash)
	}
}

func FuzzHashBytes(f *testing.F) {
	for _, b := range hostileCorpus(f) {
		f.Add(b)
	}
	f.Add(triagetest.PhotoJPEG(64, 48, 1, 75))
	var p bytes.Buffer
	png.Encode(&p, triagetest.Photo(40, 30, 2))
	f.Add(p.Bytes())
	h := New(Options{Algos: triage.AlgosAll, Views: true, Limits: Limits{MaxPixels: 4 << 20, DecodeMemory: 256 << 20}})
	f.Fuzz(func(t *testing.T, b []byte) {
		fp := h.HashBytes(context.Background(), b)
		if fp.SHA256 != sha256.Sum256(b) {
			t.Fatal("wrong sha256")
		}
		if triage.ErrorCode(fp.Err) == triage.EINTERNAL {
			t.Fatalf("internal error: %v", fp.Err)
		}
		if fp.Perceptual && (fp.PDQQuality < 0 || fp.PDQQuality > 100 || int64(fp.Width)*int64(fp.Height) > 4<<20) {
			t.Fatalf("bad result %dx%d q%d", fp.Width, fp.Height, fp.PDQQuality)
		}
	})
}
