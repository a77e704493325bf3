// Command gendemo writes Winnow's demo data: a small generated, benign
// "seizure" (folders, a zip holding a nested zip, a tar.gz, exact
// duplicates, edited copies, a near-duplicate series, junk and broken
// files, a tiny icon) and the hash sets to scan it with: a "known" set
// made from some of its images, merely labelled as known material, and a
// known-good set in NSRL RDS 2.x format.
//
//	go run ./triage/triagetest/gendemo -out demo
//
// Every image is a generated abstract scene (gradients, soft shapes,
// texture, text); nothing resembles a person. The output is byte-identical
// on every run, except the perceptual hashes in known.json, which follow
// the decoder of the build (libjpeg-turbo or Go) by a few bits.
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"iter"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/formats"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

func main() {
	out := flag.String("out", "demo", "output folder (seizure/, known.json and known-good.txt are replaced)")
	flag.Parse()
	if err := generate(*out); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote the demo seizure and hash sets to %s\n", *out)
}

// demoTime is the modification time of every file inside the archives.
var demoTime = time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)

const w, h = 400, 300

// scene returns the abstract scene for a seed, with a caption.
func scene(seed uint64, caption string) *image.RGBA {
	img := triagetest.Photo(w, h, seed)
	if caption != "" {
		label(img, caption, 10, h-12)
	}
	return img
}

// label draws white text on a dark box at (x, y) (the baseline).
func label(img draw.Image, s string, x, y int) {
	face := basicfont.Face7x13
	box := image.Rect(x-4, y-13, x+len(s)*7+4, y+4)
	draw.Draw(img, box, image.NewUniform(color.RGBA{20, 20, 30, 255}), image.Point{}, draw.Src)
	d := &font.Drawer{Dst: img, Src: image.White, Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func encodeJPEG(img image.Image, q int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func encodePNG(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// half box-averages an image to half its size.
func half(src *image.RGBA) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx()/2, b.Dy()/2))
	for y := range dst.Bounds().Dy() {
		for x := range dst.Bounds().Dx() {
			var s [4]int
			for _, d := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				o := src.PixOffset(2*x+d[0], 2*y+d[1])
				for c := range 4 {
					s[c] += int(src.Pix[o+c])
				}
			}
			o := dst.PixOffset(x, y)
			for c := range 4 {
				dst.Pix[o+c] = uint8(s[c] / 4)
			}
		}
	}
	return dst
}

// crop cuts frac of each side away.
func crop(src *image.RGBA, frac float64) *image.RGBA {
	b := src.Bounds()
	dx, dy := int(float64(b.Dx())*frac), int(float64(b.Dy())*frac)
	r := image.Rect(dx, dy, b.Dx()-dx, b.Dy()-dy)
	dst := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(dst, dst.Bounds(), src, r.Min, draw.Src)
	return dst
}

// mirror flips left to right.
func mirror(src *image.RGBA) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(b)
	for y := range b.Dy() {
		for x := range b.Dx() {
			dst.SetRGBA(b.Dx()-1-x, y, src.RGBAAt(x, y))
		}
	}
	return dst
}

// rotate90 turns the image a quarter clockwise.
func rotate90(src *image.RGBA) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			dst.SetRGBA(b.Dy()-1-y, x, src.RGBAAt(x, y))
		}
	}
	return dst
}

// letterbox centres the image on a black canvas pad pixels taller.
func letterbox(src *image.RGBA, pad int) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()+2*pad))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.Black), image.Point{}, draw.Src)
	draw.Draw(dst, b.Add(image.Pt(0, pad)), src, image.Point{}, draw.Src)
	return dst
}

// brighten adds v to every channel.
func brighten(src *image.RGBA, v int) *image.RGBA {
	dst := image.NewRGBA(src.Bounds())
	for i, p := range src.Pix {
		if i%4 == 3 {
			dst.Pix[i] = p
			continue
		}
		dst.Pix[i] = uint8(min(255, max(0, int(p)+v)))
	}
	return dst
}

// shift moves the content by dx pixels, repeating the edge column.
func shift(src *image.RGBA, dx int) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(b)
	for y := range b.Dy() {
		for x := range b.Dx() {
			dst.SetRGBA(x, y, src.RGBAAt(max(0, x-dx), y))
		}
	}
	return dst
}

type file struct {
	name string
	data []byte
}

func zipOf(files ...file) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range files {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: demoTime})
		if err != nil {
			panic(err)
		}
		fw.Write(f.data)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func tgzOf(files ...file) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.ModTime = demoTime
	tw := tar.NewWriter(zw)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: demoTime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			panic(err)
		}
		tw.Write(f.data)
	}
	if err := tw.Close(); err != nil {
		panic(err)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// known describes an image of the known set.
type known struct {
	data     []byte
	category string
	series   string
	name     string
}

// generate writes the demo data under out.
func generate(out string) error {
	seizure := filepath.Join(out, "seizure")
	if err := os.RemoveAll(seizure); err != nil {
		return err
	}
	// The known originals (K1-K4), new scenes (N1-N5), the series base
	// and the wallpaper of the known-good set.
	k1, k2, k3, k4 := scene(101, "harbour"), scene(102, ""), scene(103, "bridge"), scene(104, "")
	n1, n2, n3, n4, n5 := scene(201, "park"), scene(202, ""), scene(203, ""), scene(204, "market"), scene(205, "")
	beach := scene(301, "")
	wallpaper := scene(401, "DemoOS")
	k1j, k2j, k3j, k4j := encodeJPEG(k1, 85), encodeJPEG(k2, 85), encodeJPEG(k3, 85), encodeJPEG(k4, 85)
	n1j := encodeJPEG(n1, 85)
	wallj := encodeJPEG(wallpaper, 85)
	beach2 := encodeJPEG(brighten(beach, 12), 85)

	rng := rand.New(rand.NewPCG(5, 5))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	icon := image.NewRGBA(image.Rect(0, 0, 32, 32))
	draw.Draw(icon, icon.Bounds(), image.NewUniform(color.RGBA{30, 110, 200, 255}), image.Point{}, draw.Src)
	draw.Draw(icon, image.Rect(8, 8, 24, 24), image.NewUniform(color.RGBA{250, 250, 250, 255}), image.Point{}, draw.Src)
	pngBig := encodePNG(half(n3))
	notes := []byte("Shopping list\n- bread\n- tea\n- batteries (AA)\n")
	readme := []byte("Holiday pictures, sorted by day.\n")

	files := []file{
		{"DCIM/100DEMO/IMG_0001.jpg", k1j},
		{"DCIM/100DEMO/IMG_0002.jpg", k2j},
		{"DCIM/100DEMO/IMG_0003.jpg", n1j},
		{"DCIM/100DEMO/IMG_0004.jpg", encodeJPEG(n2, 85)},
		{"Pictures/copies/IMG_0001 (copy).jpg", k1j},
		{"Pictures/edited/resized.jpg", encodeJPEG(half(k3), 85)},
		{"Pictures/edited/recompressed.jpg", encodeJPEG(k3, 35)},
		{"Pictures/edited/cropped.jpg", encodeJPEG(crop(k4, 0.03), 85)},
		{"Pictures/edited/flipped.jpg", encodeJPEG(mirror(k1), 85)},
		{"Pictures/edited/letterboxed.jpg", encodeJPEG(letterbox(k2, 50), 85)},
		{"Pictures/series/beach-01.jpg", encodeJPEG(beach, 85)},
		{"Pictures/series/beach-02.jpg", beach2},
		{"Pictures/series/beach-02 (1).jpg", beach2},
		{"Pictures/series/beach-03.jpg", encodeJPEG(shift(beach, 8), 85)},
		{"Pictures/series/beach-04.jpg", encodeJPEG(func() *image.RGBA { b := brighten(beach, -10); label(b, "sunset", 300, 30); return b }(), 85)},
		{"Pictures/series/beach-05.jpg", encodeJPEG(beach, 45)},
		{"Pictures/drawing.png", pngBig},
		{"Downloads/holiday.zip", zipOf(
			file{"holiday/", nil},
			file{"holiday/day1.jpg", k2j},
			file{"holiday/day2.jpg", encodeJPEG(n4, 85)},
			file{"holiday/readme.txt", readme},
			file{"holiday/extras.zip", zipOf(
				file{"extras/night.jpg", encodeJPEG(rotate90(n1), 85)},
				file{"extras/day1-again.jpg", k2j},
			)},
		)},
		{"backup/old-phone.tar.gz", tgzOf(
			file{"sdcard/DCIM/IMG_0101.jpg", k4j},
			file{"sdcard/DCIM/IMG_0102.jpg", encodeJPEG(n5, 85)},
			file{"sdcard/Download/IMG_0003-small.jpg", encodeJPEG(half(n1), 80)},
		)},
		{"System/wallpaper.jpg", wallj},
		{"System/icon.png", encodePNG(icon)},
		{"Documents/notes.txt", notes},
		{"Documents/random.bin", random},
		{"Documents/not-really.jpg", []byte("This is a text file with a .jpg name: Winnow types files by content.\n")},
		{"broken/truncated.jpg", n1j[:len(n1j)*6/10]},
		{"broken/truncated.png", pngBig[:len(pngBig)/2]},
		{"broken/empty.jpg", nil},
	}
	for _, f := range files {
		p := filepath.Join(seizure, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			return err
		}
	}

	hs := hashing.New(hashing.Options{Algos: triage.AlgosCrypto | triage.AlgoSet(triage.AlgoPDQ|triage.AlgoPHash)})
	knowns := []known{
		{k1j, "vic-us:1", "Demo series A", "harbour.jpg"},
		{k2j, "vic-us:1", "Demo series A", "quay.jpg"},
		{k3j, "vic-us:2", "", "bridge.jpg"},
		{k4j, "vic-us:3", "Demo series B", "rooftops.jpg"},
	}
	var entries []triage.Entry
	for i, k := range knowns {
		fp := hs.HashBytes(context.Background(), k.data)
		if fp.Err != nil {
			return fp.Err
		}
		e := triage.NewEntry()
		e.ID = fmt.Sprint(1001 + i)
		e.MD5, e.SHA1, e.SHA256, e.PDQ, e.PDQQuality, e.PHash = fp.MD5, fp.SHA1, fp.SHA256, fp.PDQ, fp.PDQQuality, fp.PHash
		e.Algos = triage.AlgosCrypto | triage.AlgoSet(triage.AlgoPDQ|triage.AlgoPHash)
		e.Category = triage.MustParseCategory(k.category)
		e.Series, e.Name, e.Size = k.series, k.name, fp.Size
		e.SetExtra("Comments", "DEMO: a generated benign image, labelled as known material for the demo only")
		entries = append(entries, e)
	}
	var vb bytes.Buffer
	if err := formats.WriteVICS(&vb, iter.Seq[triage.Entry](func(yield func(triage.Entry) bool) {
		for _, e := range entries {
			if !yield(e) {
				return
			}
		}
	}), formats.VICSOptions{Profile: "US"}); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "known.json"), vb.Bytes(), 0o644); err != nil {
		return err
	}

	// The known-good set: the wallpaper and the holiday readme, as NSRL
	// RDS 2.x lists software files.
	var nb strings.Builder
	nb.WriteString(`"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"` + "\r\n")
	for _, g := range []file{{"wallpaper.jpg", wallj}, {"readme.txt", readme}} {
		fp := hs.HashBytes(context.Background(), g.data)
		fmt.Fprintf(&nb, "%q,%q,%q,%q,%d,%d,%q,%q\r\n", strings.ToUpper(fp.SHA1.String()), strings.ToUpper(fp.MD5.String()),
			"00000000", g.name, len(g.data), 9001, "DemoOS", "")
	}
	return os.WriteFile(filepath.Join(out, "known-good.txt"), []byte(nb.String()), 0o644)
}
