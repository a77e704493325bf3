package pdq

import (
	"encoding/binary"
	"encoding/hex"
	"math/bits"
)

// Hash is a 256-bit PDQ hash.
//
// Hash[0] holds the most significant byte of the reference 64-hex-digit
// layout, so hex.EncodeToString(h[:]) is the reference string. Bit k
// (0 = least significant) is the DCT coefficient at row k/16, column k%16;
// it is stored in byte 31-k/8, bit k%8.
type Hash [32]byte

// String returns the hash as 64 lowercase hexadecimal digits, in the
// reference layout.
func (h Hash) String() string {
	return hex.EncodeToString(h[:])
}

// Bit reports whether bit k (0 = least significant, i.e. DCT coefficient
// row k/16, column k%16) is set. It panics if k is not in 0..255.
func (h Hash) Bit(k int) bool {
	return h[31-k/8]>>(k%8)&1 != 0
}

// setBit sets bit k (see Bit).
func (h *Hash) setBit(k int) {
	h[31-k/8] |= 1 << (k % 8)
}

// Distance returns the Hamming distance between a and b: the number of the
// 256 bits in which they differ.
func Distance(a, b Hash) int {
	n := 0
	for i := 0; i < len(a); i += 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:]))
	}
	return n
}
