package accuracy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/image/draw"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// Original is one image of the benchmark, before any edit: the file a
// hash set is built from (half of them) or a distractor (the other half).
type Original struct {
	// Name identifies the image, prefixed by its source, e.g.
	// "generated/0017" or "debian/gnome-backgrounds/blobs-l.svg.png".
	Name string
	// Source is "generated", "framed", "reference" or "debian:PACKAGE".
	Source string
	// File is the original as a JPEG at quality 92, at most MaxSide pixels
	// on its longer side.
	File []byte
}

// MaxSide bounds the originals' longer side: wallpapers of 5120 pixels are
// scaled down to what a photo shared online has, which also keeps the
// benchmark's run time in minutes.
const MaxSide = 1024

// Decode returns the original's pixels.
func (o *Original) Decode() (*image.RGBA, error) {
	img, err := jpeg.Decode(bytes.NewReader(o.File))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Name, err)
	}
	out := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	return out, nil
}

// newOriginal scales img to at most MaxSide and encodes it.
func newOriginal(name, source string, img image.Image) (Original, error) {
	b := img.Bounds()
	if s := max(b.Dx(), b.Dy()); s > MaxSide {
		w, h := max(1, b.Dx()*MaxSide/s), max(1, b.Dy()*MaxSide/s)
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
		img = dst
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 92}); err != nil {
		return Original{}, fmt.Errorf("%s: encode: %w", name, err)
	}
	return Original{Name: name, Source: source, File: buf.Bytes()}, nil
}

// Generated returns n generated photo-like scenes (triagetest.Photo) of
// several sizes and aspect ratios, from seeds seed, seed+1, ...
func Generated(n int, seed uint64, maxSide int) ([]Original, error) {
	sizes := [][2]int{{4, 3}, {3, 4}, {16, 9}, {1, 1}, {3, 2}}
	out := make([]Original, n)
	errs := make([]error, n)
	parallel(n, func(i int) {
		sz := sizes[i%len(sizes)]
		w, h := maxSide, maxSide*sz[1]/sz[0]
		if sz[1] > sz[0] {
			w, h = maxSide*sz[0]/sz[1], maxSide
		}
		out[i], errs[i] = newOriginal(fmt.Sprintf("generated/%04d", i), "generated", triagetest.Photo(w, h, seed+uint64(i)))
	})
	return out, errors.Join(errs...)
}

// ReferenceFiles are the distinct photos among Meta's PDQ reference
// images (../shared/data/pdq-reference/images): the bridge's rotations,
// edits and colour modes are one photo, the noise squares and a black
// square carry nothing to match, and one LabelMe street scene shows
// people, which the benchmark leaves out.
var ReferenceFiles = []string{
	"bridge-1-original.jpg", "exif-rotn-6.jpg", "labelme-q0003.jpg", "labelme-q0004.jpg",
	"labelme-q0122.jpg", "labelme-q0746.jpg", "labelme-q1050.jpg", "labelme-q2821.jpg",
	"misc-c.png", "misc-wee.jpg", "pen-and-coaster.png",
}

// Reference loads ReferenceFiles from dir; a missing dir gives none.
func Reference(dir string) ([]Original, error) {
	var out []Original
	for _, name := range ReferenceFiles {
		o, err := loadFile(filepath.Join(dir, name), "reference/"+name, "reference")
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// loadFile decodes an image file (any format the triage decoders read)
// into an Original.
func loadFile(path, name, source string) (Original, error) {
	f, err := os.Open(path)
	if err != nil {
		return Original{}, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return Original{}, fmt.Errorf("%s: %w", name, err)
	}
	return newOriginal(name, source, img)
}

// The kinds of picture an original is (Original.Kind).
const (
	KindPhotograph = "photograph"
	KindGenerated  = "generated"
	KindDrawn      = "drawn"
)

// Kinds lists the kinds in the order the benchmark reports them.
var Kinds = []string{KindPhotograph, KindGenerated, KindDrawn}

// Kind returns what the original shows: a photograph (a camera's picture
// of a scene: the reference photos and the Debian files in
// debianPhotographs), a generated scene (triagetest.Photo, framed or on a
// canvas or not), or drawn art (the other Debian wallpapers:
// illustrations, renderings, gradients, stripes, logos). The material an
// examiner looks for is photographic; drawn wallpapers are where local
// features have the least to hold on to.
func (o *Original) Kind() string {
	switch {
	case o.Source == "reference":
		return KindPhotograph
	case o.Source == "generated" || o.Source == "framed":
		return KindGenerated
	case slices.ContainsFunc(debianPhotographs, func(p string) bool { return strings.Contains(o.Name, p) }):
		return KindPhotograph
	}
	return KindDrawn
}

// debianPhotographs name (by a part of their path) the Debian files that
// are photographs, labelled by looking at each: nature close-ups,
// landscapes, animals, objects, textures and scientific photos
// (micrographs, the Moon, a retina). Everything else of DebianPackages is
// drawn.
var debianPhotographs = []string{
	"/backgrounds/mate/nature/",
	"/wallpapers/BytheWater/", "/wallpapers/ColdRipple/", "/wallpapers/ColorfulCups/",
	"/wallpapers/DarkestHour/", "/wallpapers/EveningGlow/", "/wallpapers/FallenLeaf/",
	"/wallpapers/Grey/", "/wallpapers/Kite/", "/wallpapers/OneStandsOut/", "/wallpapers/Path/",
	"/wallpapers/summer_1am/",
	"/Bridge_by_Sander_Klootwijk", "/Dragonfly_by_Bolly", "/Picture_0B_by_freespace",
	"/Picture_1A_by_freespace", "/Wine_by_Jakkub_Mede", "_by_Aitzol_Berasategi", "_by_Peter_Nerlich",
	"/seeding_by_Clements_Engelhardt", "/Kleiber_by_Lukas_Baubkus",
	"/skimage/data/brick", "/skimage/data/cell", "/skimage/data/chelsea", "/skimage/data/clock_motion",
	"/skimage/data/coffee", "/skimage/data/coins", "/skimage/data/grass", "/skimage/data/gravel",
	"/skimage/data/hubble_deep_field", "/skimage/data/ihc", "/skimage/data/moon",
	"/skimage/data/motorcycle_left", "/skimage/data/retina", "/skimage/data/rocket",
}

// DebianPackages are the Debian packages of wallpapers and sample images
// the benchmark uses: landscapes, plants, animals, objects and abstract art
// under free licences (GPL, LGPL, CC BY-SA and the like; see each
// package's copyright file under .cache after extraction).
var DebianPackages = []string{
	"desktop-base", "gnome-backgrounds", "mate-backgrounds", "plasma-workspace-wallpapers",
	"ukui-wallpapers", "lomiri-wallpapers", "lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04",
	"sway-backgrounds", "xfdesktop4-data", "debian-edu-artwork-emerald", "debian-edu-artwork-softwaves",
	"debian-edu-artwork-spacefun", "python3-skimage",
}

// debianExcluded are files of those packages left out: pictures with
// people in them, documents, and one half of a stereo pair.
var debianExcluded = []string{
	"skimage/data/astronaut.png", "skimage/data/camera.png", "skimage/data/text.png",
	"skimage/data/page.png", "skimage/data/motorcycle_right.png", "skimage/data/logo.png",
	"wallpapers/Autumn/",
}

// FetchDebian makes sure every package is extracted under cacheDir,
// downloading it with apt-get (apt-get download, dpkg-deb -x) if needed.
// It is idempotent: an extracted package is not fetched again. Packages
// that cannot be fetched are reported through logf and skipped.
func FetchDebian(ctx context.Context, cacheDir string, pkgs []string, logf func(string, ...any)) []string {
	var ok []string
	debs := filepath.Join(cacheDir, "debs")
	for _, p := range pkgs {
		dst := filepath.Join(cacheDir, "pkg", p)
		if _, err := os.Stat(filepath.Join(dst, ".extracted")); err == nil {
			ok = append(ok, p)
			continue
		}
		if err := os.MkdirAll(debs, 0o755); err != nil {
			logf("debian: %v", err)
			return ok
		}
		deb, err := findDeb(debs, p)
		if err != nil {
			cmd := exec.CommandContext(ctx, "apt-get", "download", p)
			cmd.Dir = debs
			if out, err := cmd.CombinedOutput(); err != nil {
				logf("debian: apt-get download %s failed (%v): %s", p, err, strings.TrimSpace(string(out)))
				continue
			}
			if deb, err = findDeb(debs, p); err != nil {
				logf("debian: %s: %v", p, err)
				continue
			}
		}
		os.RemoveAll(dst)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			logf("debian: %v", err)
			return ok
		}
		if out, err := exec.CommandContext(ctx, "dpkg-deb", "-x", deb, dst).CombinedOutput(); err != nil {
			logf("debian: dpkg-deb -x %s failed (%v): %s", deb, err, strings.TrimSpace(string(out)))
			continue
		}
		if err := os.WriteFile(filepath.Join(dst, ".extracted"), nil, 0o644); err != nil {
			logf("debian: %v", err)
			continue
		}
		ok = append(ok, p)
	}
	return ok
}

func findDeb(dir, pkg string) (string, error) {
	m, _ := filepath.Glob(filepath.Join(dir, pkg+"_*.deb"))
	if len(m) == 0 {
		return "", fmt.Errorf("no %s_*.deb in %s", pkg, dir)
	}
	return m[len(m)-1], nil
}

// Debian loads the images of the extracted packages: JPEG and PNG files
// of at least 20 KB and 200 pixels a side, leaving out icons, previews,
// test data and debianExcluded. Wallpapers that ship one picture at
// several resolutions (KDE's contents/images/) give only the largest.
func Debian(cacheDir string, pkgs []string) ([]Original, error) {
	var out []Original
	for _, p := range pkgs {
		root := filepath.Join(cacheDir, "pkg", p)
		var files []string
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if keepDebianFile(path) {
				if fi, err := d.Info(); err == nil && fi.Size() >= 20<<10 {
					files = append(files, path)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		slices.Sort(files)
		files = largestPerDir(files)
		for _, f := range files {
			rel, _ := filepath.Rel(root, f)
			o, err := loadFile(f, "debian/"+p+"/"+filepath.ToSlash(rel), "debian:"+p)
			if err != nil {
				continue // an image the Go decoders do not read (e.g. 16-bit CMYK): skip
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader(o.File))
			if err != nil || min(cfg.Width, cfg.Height) < 200 {
				continue
			}
			out = append(out, o)
		}
	}
	return out, nil
}

func keepDebianFile(path string) bool {
	p := filepath.ToSlash(strings.ToLower(path))
	ext := filepath.Ext(p)
	if ext != ".jpg" && ext != ".jpeg" && ext != ".png" {
		return false
	}
	for _, skip := range []string{"/icons/", "/tests/", "screenshot", "thumbnail", "preview", "/pixmaps/"} {
		if strings.Contains(p, skip) {
			return false
		}
	}
	for _, ex := range debianExcluded {
		if strings.Contains(filepath.ToSlash(path), ex) {
			return false
		}
	}
	return true
}

// largestPerDir keeps, of files in a directory named "images" (KDE's one
// wallpaper at many resolutions), only the largest file.
func largestPerDir(files []string) []string {
	best := map[string]string{}
	var out []string
	for _, f := range files {
		dir := filepath.Dir(f)
		if filepath.Base(dir) != "images" {
			out = append(out, f)
			continue
		}
		if b, ok := best[dir]; !ok || fileSize(f) > fileSize(b) {
			best[dir] = f
		}
	}
	for _, f := range best {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// Dedup drops originals that cannot serve the benchmark: images whose PDQ
// quality is under 50 (flat gradients and near-uniform pictures, whose
// PDQ bits are noise and which PDQ's own rule leaves unmatched), and
// versions of an earlier original (the same wallpaper in a light and a
// dark variant, at another resolution or crop, with a logo added): any two
// whose PDQ hashes, over all rotations and flips, are within pdqDist, or
// whose pHashes are within phashDist. Such a pair split between the set
// and the distractors would be a true match counted as a false one. It
// returns the kept originals and, for the record, why each other one was
// dropped.
func Dedup(ctx context.Context, os []Original, pdqDist, phashDist int) (kept []Original, dropped []string) {
	h := hashing.New(hashing.Options{Algos: triage.AlgoSet(triage.AlgoPDQDihedral | triage.AlgoPHash)})
	fps := make([]triage.Fingerprint, len(os))
	parallel(len(os), func(i int) { fps[i] = h.HashBytes(ctx, os[i].File) })
	var keptFP []triage.Fingerprint
next:
	for i, o := range os {
		fp := &fps[i]
		if !fp.Perceptual || fp.PDQQuality < 50 {
			dropped = append(dropped, fmt.Sprintf("%s: PDQ quality %d", o.Name, fp.PDQQuality))
			continue
		}
		for k, kf := range keptFP {
			if dp, dh := minDihedral(fp, kf.PDQ), fp.PHash.Distance(kf.PHash); dp <= pdqDist || dh <= phashDist {
				dropped = append(dropped, fmt.Sprintf("%s: version of %s (PDQ %d, pHash %d)", o.Name, kept[k].Name, dp, dh))
				continue next
			}
		}
		kept, keptFP = append(kept, o), append(keptFP, *fp)
	}
	return kept, dropped
}

// minDihedral returns the smallest distance from any of fp's dihedral PDQ
// hashes to h.
func minDihedral(fp *triage.Fingerprint, h triage.PDQ) int {
	d := 256
	for _, q := range fp.PDQDihedral {
		d = min(d, q.Distance(h))
	}
	return d
}

// Framed returns n generated scenes (seeds seed, seed+1, ...; use seeds
// no other original uses) that sit in a plain surround, the kind of known
// image chance matches cluster on: even ones inside a plain frame (white,
// light gray or black, 4-12% of the side), odd ones placed off centre on a
// plain canvas of another shape. They join the benchmark as set images and
// distractors like any other original.
func Framed(n int, seed uint64, maxSide int) ([]Original, error) {
	out := make([]Original, n)
	errs := make([]error, n)
	frames := []color.Gray{{255}, {235}, {0}}
	parallel(n, func(i int) {
		s := seed + uint64(i)
		w, h := maxSide*3/4, maxSide*9/16
		if i%3 == 1 {
			w, h = maxSide*9/16, maxSide*3/4
		}
		pic := triagetest.Photo(w, h, s)
		var img *image.RGBA
		bg := image.NewUniform(frames[i/2%len(frames)])
		if i%2 == 0 {
			f := max(w, h) * (4 + int(s%9)) / 100
			img = newRGBA(w+2*f, h+2*f)
			draw.Draw(img, img.Bounds(), bg, image.Point{}, draw.Src)
			draw.Draw(img, pic.Bounds().Add(image.Pt(f, f)), pic, image.Point{}, draw.Src)
			out[i], errs[i] = newOriginal(fmt.Sprintf("framed/%04d", i), "framed", img)
			return
		}
		cw, ch := max(w, h)*4/3, max(w, h)
		img = newRGBA(cw, ch)
		draw.Draw(img, img.Bounds(), bg, image.Point{}, draw.Src)
		at := image.Pt(int(s%5)*(cw-w)/5, (ch-h)/3)
		draw.Draw(img, pic.Bounds().Add(at), pic, image.Point{}, draw.Src)
		out[i], errs[i] = newOriginal(fmt.Sprintf("canvas/%04d", i), "framed", img)
	})
	return out, errors.Join(errs...)
}
