package carve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
