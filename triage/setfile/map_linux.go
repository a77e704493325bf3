package setfile

import (
	"os"
	"syscall"
)

// mapMin is the smallest compiled set that ReadFile maps instead of
// reading: below it a copy is cheap.
const mapMin = 64 << 20

// mapSetFile maps a large set file read-only (MAP_POPULATE: the pages come
// in by sequential read-ahead), so that loading costs neither a copy out
// of the page cache nor the zeroing of fresh memory; ok is false when the
// file is small or cannot be mapped, and the caller reads it instead.
// unmap releases the mapping; nothing may touch buf afterwards.
func mapSetFile(f *os.File, size int64) (buf []byte, unmap func(), ok bool) {
	if size < mapMin || int64(int(size)) != size {
		return nil, nil, false
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_PRIVATE|syscall.MAP_POPULATE)
	if err != nil {
		return nil, nil, false
	}
	return b, func() { syscall.Munmap(b) }, true
}
