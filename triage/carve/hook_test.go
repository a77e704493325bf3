package carve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/disk"
)

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// mustFAT builds a FAT32 image (no partition table) holding files, then
// deletes those in del with mdel: their clusters become free space that
// still holds their bytes.
func mustFAT(t testing.TB, mib int, files map[string][]byte, del ...string) string {
	t.Helper()
	dir := t.TempDir()
	img := filepath.Join(dir, "usb.dd")
	run(t, "mkfs.fat", "-C", "-F", "32", img, fmt.Sprint(mib<<10))
	for _, name := range sortedKeys(files) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, files[name], 0o600); err != nil {
			t.Fatal(err)
		}
		run(t, "mcopy", "-i", img, p, "::/"+name)
	}
	for _, name := range del {
		run(t, "mdel", "-i", img, "::/"+name)
	}
	return img
}

func sortedKeys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

// TestHookFAT carves a FAT32 image's free space through the disk-image
// kind, as scan and the lab expand it: each deleted picture is carved
// whole from unallocated space, named by its offset, with its image
// offset, and so is the EXIF thumbnail of the deleted JPEG; pictures
// still allocated are not carved again.
func TestHookFAT(t *testing.T) {
	thumb := mustJPEG(t, 120, 90, 2)
	files := map[string][]byte{
		"a.jpg":  withThumbnail(t, mustJPEG(t, 800, 600, 1), thumb),
		"b.png":  mustPNG(t, 200, 150, 3),
		"c.gif":  mustGIF(t, 100, 80, 4),
		"d.bmp":  mustBMP(t, 90, 70, 5),
		"e.webp": mustRead(t, "testdata/card.webp"),
		"f.heic": mustRead(t, "testdata/photo.heic"),
		"g.jpg":  mustJPEG(t, 300, 200, 6),
		"h.mp4":  mustRead(t, "testdata/clip.mp4"),
	}
	deleted := []string{"a.jpg", "c.gif", "e.webp", "f.heic", "h.mp4"}
	img := mustFAT(t, 40, files, deleted...)
	raw, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	k := &disk.Kind{Carve: Hook(Options{})}
	if f, _ := k.Detect(triage.MediaType{MIME: triage.MIMEDiskImage}); f == "" {
		t.Fatal("raw image not detected")
	}
	carved := map[string][]byte{} // content -> found
	_, err = k.Expand(context.Background(), bytes.NewReader(raw), int64(len(raw)), container.Options{Name: "usb.dd"},
		func(m *container.Member, r io.Reader) error {
			if !m.Carved {
				return nil
			}
			b, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			if want := fmt.Sprintf("$Unallocated/0x%x.%s", m.Offset, filepath.Ext(m.Inner)[1:]); m.Inner != want {
				t.Errorf("carved %q, want %q", m.Inner, want)
			}
			if m.Length != int64(len(b)) || !bytes.Equal(raw[m.Offset:m.Offset+m.Length], b) {
				t.Errorf("%s: offset %d length %d do not locate its %d bytes", m.Inner, m.Offset, m.Length, len(b))
			}
			carved[string(b)] = b
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range deleted {
		if _, ok := carved[string(files[name])]; !ok {
			t.Errorf("deleted %s not carved", name)
		}
		delete(carved, string(files[name]))
	}
	if _, ok := carved[string(thumb)]; !ok {
		t.Errorf("the thumbnail of deleted a.jpg not carved")
	}
	delete(carved, string(thumb))
	for _, b := range carved {
		t.Errorf("carved %d bytes that are no deleted file", len(b))
	}
}

// TestBlobs carves a file of unknown type as a raw blob when asked.
func TestBlobs(t *testing.T) {
	if f, _ := (&disk.Kind{}).Detect(triage.MediaType{MIME: triage.MIMEUnknown}); f != "" {
		t.Errorf("unknown data detected as %q without Blobs", f)
	}
	k := &disk.Kind{Carve: Hook(Options{}), Blobs: true}
	if f, _ := k.Detect(triage.MediaType{MIME: triage.MIMEUnknown}); f == "" {
		t.Fatal("unknown data not detected with Blobs")
	}
	bl := newBlob(1<<20, 5)
	png := mustPNG(t, 64, 64, 1)
	bl.put(77*Sector, png, Item{})
	cut := mustPNG(t, 256, 256, 2)
	cut = cut[:lastChunkEnd(cut, len(cut)/2)]
	bl.put(300*Sector, cut, Item{})
	var got []string
	_, err := k.Expand(context.Background(), bytes.NewReader(bl.b), int64(len(bl.b)), container.Options{Name: "memory.bin"},
		func(m *container.Member, r io.Reader) error {
			o := m.Origin()
			got = append(got, fmt.Sprintf("%s %v %v %d %d", m.Inner, o.Carved, o.Truncated, o.Offset, o.Length))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		fmt.Sprintf("$Unallocated/0x%x.png true false %d %d", 77*Sector, 77*Sector, len(png)),
		fmt.Sprintf("$Unallocated/0x%x.png true true %d %d", 300*Sector, 300*Sector, len(cut)),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

// TestHookJoinsFreeExtents carves a deleted picture that ext4 split
// around block group 1's backup superblock and descriptors (1 KiB
// blocks): the free space is carved as one stream, so the picture is
// found whole, with its two pieces in Origin.Fragments, instead of cut
// at the first gap.
func TestHookJoinsFreeExtents(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o700); err != nil {
		t.Fatal(err)
	}
	// A filler that ends just before block 8192 puts the picture across
	// the end of group 0 (blocks 1172-7910, then 7911 on, with mke2fs's
	// layout for 16 MiB and 1 KiB blocks).
	filler := make([]byte, 6_900_000)
	for i := range filler {
		filler[i] = byte(i*7 + i>>9)
	}
	bmp := mustBMP(t, 400, 500, 7)
	for name, b := range map[string][]byte{"a.bin": filler, "b.bmp": bmp} {
		if err := os.WriteFile(filepath.Join(src, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	img := filepath.Join(dir, "e.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 16<<20); err != nil {
		t.Fatal(err)
	}
	run(t, "mkfs.ext4", "-q", "-F", "-b", "1024", "-d", src, img)
	out, err := exec.Command("debugfs", "-R", "blocks /b.bmp", img).Output()
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Fields(string(out))
	split := false
	for i := 1; i < len(blocks); i++ {
		a, _ := strconv.Atoi(blocks[i-1])
		b, _ := strconv.Atoi(blocks[i])
		split = split || b != a+1
	}
	if !split {
		t.Fatalf("mke2fs laid b.bmp out in one piece (blocks %s...): the test needs it split", strings.Join(blocks[:min(4, len(blocks))], " "))
	}
	run(t, "debugfs", "-w", "-R", "rm /b.bmp", img)
	raw, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	var found []triage.Origin
	k := &disk.Kind{Carve: Hook(Options{})}
	_, err = k.Expand(context.Background(), bytes.NewReader(raw), int64(len(raw)), container.Options{Name: "e.img"},
		func(m *container.Member, r io.Reader) error {
			if !m.Carved {
				return nil
			}
			b, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			if bytes.Equal(b, bmp) {
				found = append(found, *m.Origin())
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 {
		t.Fatalf("the deleted picture carved whole %d times, want 1", len(found))
	}
	o := found[0]
	if o.Offset != -1 || len(o.Fragments) != 2 || o.Truncated {
		t.Fatalf("origin %+v: want offset -1, two fragments, not truncated", o)
	}
	var joined []byte
	for _, f := range o.Fragments {
		joined = append(joined, raw[f.Offset:f.Offset+f.Length]...)
	}
	if !bytes.Equal(joined, bmp) {
		t.Errorf("the fragments %+v do not hold the picture's bytes", o.Fragments)
	}
}
