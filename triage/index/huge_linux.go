package index

import (
	"syscall"
	"unsafe"
)

// adviseHuge asks the kernel to back a large array with transparent huge
// pages: the tables are read at random, and with 4 KiB pages nearly every
// probe would also miss the TLB. Failure is harmless.
func adviseHuge[T any](s []T) {
	var z T
	n := uintptr(cap(s)) * unsafe.Sizeof(z)
	if n < 4<<20 {
		return
	}
	base := unsafe.Pointer(unsafe.SliceData(s))
	p := uintptr(base)
	lo := (p + hugePage - 1) &^ (hugePage - 1)
	hi := (p + n) &^ (hugePage - 1)
	if hi <= lo {
		return
	}
	syscall.Madvise(unsafe.Slice((*byte)(unsafe.Add(base, lo-p)), hi-lo), 14 /* MADV_HUGEPAGE */)
}

const hugePage = 2 << 20
