//go:build !linux

package setfile

import "os"

// mapSetFile is Linux only; elsewhere sets are read into memory.
func mapSetFile(f *os.File, size int64) (buf []byte, unmap func(), ok bool) {
	return nil, nil, false
}
