package disk

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// benchFiles writes n files of size bytes into a folder and builds FAT32,
// ext4 and NTFS images holding the same files.
func benchFiles(b *testing.B, n, size int) (dir string, images map[string]string) {
	b.Helper()
	tmp := b.TempDir()
	dir = filepath.Join(tmp, "files")
	os.MkdirAll(dir, 0o755)
	rng := rand.New(rand.NewSource(1))
	buf := make([]byte, size)
	for i := 0; i < n; i++ {
		rng.Read(buf)
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d.bin", i)), buf, 0o644)
	}
	kib := n*size/1024*5/4 + 8192
	images = map[string]string{}
	fat := filepath.Join(tmp, "fat32.img")
	run(b, "mkfs.fat", "-C", "-F", "32", fat, fmt.Sprint(max(kib, 70000)))
	run(b, "mcopy", "-s", "-i", fat, dir, "::/")
	images["fat32"] = fat
	ext := filepath.Join(tmp, "ext4.img")
	run(b, "mkfs.ext4", "-q", "-F", "-d", dir, ext, fmt.Sprint(kib))
	images["ext4"] = ext
	ntfs := filepath.Join(tmp, "ntfs.img")
	os.WriteFile(ntfs, nil, 0o600)
	os.Truncate(ntfs, int64(kib)*1024+8<<20)
	run(b, "mkntfs", "-F", "-q", "-Q", ntfs)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		run(b, "ntfscp", "-q", ntfs, filepath.Join(dir, e.Name()), e.Name())
	}
	images["ntfs"] = ntfs
	return dir, images
}

// BenchmarkRead reads every file of the same set from a folder and from
// file-system images (through Walk): the cost of reading an image's files
// is the readers' overhead over plain file reads.
func BenchmarkRead(b *testing.B) {
	const n, size = 64, 512 << 10
	dir, images := benchFiles(b, n, size)
	buf := make([]byte, 1<<20)
	b.Run("folder", func(b *testing.B) {
		b.SetBytes(n * size)
		for i := 0; i < b.N; i++ {
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				f, _ := os.Open(filepath.Join(dir, e.Name()))
				io.CopyBuffer(io.Discard, f, buf)
				f.Close()
			}
		}
	})
	for _, kind := range []string{"fat32", "ext4", "ntfs"} {
		b.Run(kind, func(b *testing.B) {
			im, err := Open(images[kind])
			if err != nil {
				b.Fatal(err)
			}
			defer im.Close()
			b.SetBytes(n * size)
			for i := 0; i < b.N; i++ {
				files := 0
				Walk(context.Background(), im, im.Size(), Options{}, func(e *Entry, r io.Reader) error {
					if r != nil {
						files++
						io.CopyBuffer(io.Discard, r, buf)
					}
					return nil
				})
				if files != n {
					b.Fatalf("%d files", files)
				}
			}
		})
	}
}
