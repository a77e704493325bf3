package triage

import (
	"encoding/hex"
	"fmt"
	"math/bits"
	"strings"
)

// MD5 is an MD5 digest. Like every hash type in this package it is a fixed-size
// array, so it compares with == and serves as a map key.
type MD5 [16]byte

// SHA1 is a SHA-1 digest.
type SHA1 [20]byte

// SHA256 is a SHA-256 digest. Evidence objects are stored under it.
type SHA256 [32]byte

// PDQ is Meta's 256-bit PDQ perceptual hash, stored in the reference layout:
// PDQ[0] is the most significant byte of the 64-hex string that the reference
// tools print, and bit k (0 = least significant) is DCT coefficient row k/16,
// column k%16.
type PDQ [32]byte

// PHash is a 64-bit DCT perceptual hash (goimagehash's PerceptionHash).
type PHash uint64

// DHash is a 64-bit difference hash (goimagehash's DifferenceHash).
type DHash uint64

// AHash is a 64-bit average hash (goimagehash's AverageHash).
type AHash uint64

// String returns the digest as lowercase hex.
func (h MD5) String() string { return hex.EncodeToString(h[:]) }

// String returns the digest as lowercase hex.
func (h SHA1) String() string { return hex.EncodeToString(h[:]) }

// String returns the digest as lowercase hex.
func (h SHA256) String() string { return hex.EncodeToString(h[:]) }

// String returns the hash as 64 lowercase hex digits in the reference layout.
func (h PDQ) String() string { return hex.EncodeToString(h[:]) }

// String returns the hash as 16 lowercase hex digits.
func (h PHash) String() string { return fmt.Sprintf("%016x", uint64(h)) }

// String returns the hash as 16 lowercase hex digits.
func (h DHash) String() string { return fmt.Sprintf("%016x", uint64(h)) }

// String returns the hash as 16 lowercase hex digits.
func (h AHash) String() string { return fmt.Sprintf("%016x", uint64(h)) }

// IsZero reports whether h is the zero value, which no real input produces by
// chance and which the package uses for "not computed".
func (h MD5) IsZero() bool { return h == MD5{} }

// IsZero reports whether h is the zero value ("not computed").
func (h SHA1) IsZero() bool { return h == SHA1{} }

// IsZero reports whether h is the zero value ("not computed").
func (h SHA256) IsZero() bool { return h == SHA256{} }

// IsZero reports whether h is the zero value. An all-zero PDQ hash is what the
// algorithm gives a perfectly flat image; the pipeline pairs it with quality 0.
func (h PDQ) IsZero() bool { return h == PDQ{} }

// Distance returns the Hamming distance between two PDQ hashes (0..256).
func (h PDQ) Distance(o PDQ) int {
	n := 0
	for i := 0; i < len(h); i += 8 {
		a := uint64(h[i])<<56 | uint64(h[i+1])<<48 | uint64(h[i+2])<<40 | uint64(h[i+3])<<32 |
			uint64(h[i+4])<<24 | uint64(h[i+5])<<16 | uint64(h[i+6])<<8 | uint64(h[i+7])
		b := uint64(o[i])<<56 | uint64(o[i+1])<<48 | uint64(o[i+2])<<40 | uint64(o[i+3])<<32 |
			uint64(o[i+4])<<24 | uint64(o[i+5])<<16 | uint64(o[i+6])<<8 | uint64(o[i+7])
		n += bits.OnesCount64(a ^ b)
	}
	return n
}

// Distance returns the Hamming distance between two pHashes (0..64).
func (h PHash) Distance(o PHash) int { return bits.OnesCount64(uint64(h ^ o)) }

// Distance returns the Hamming distance between two dHashes (0..64).
func (h DHash) Distance(o DHash) int { return bits.OnesCount64(uint64(h ^ o)) }

// Distance returns the Hamming distance between two aHashes (0..64).
func (h AHash) Distance(o AHash) int { return bits.OnesCount64(uint64(h ^ o)) }

// parseHex decodes s, which must be exactly len(dst)*2 hex digits of either
// case (surrounding white space is trimmed), into dst.
func parseHex(kind, s string, dst []byte) error {
	s = strings.TrimSpace(s)
	if len(s) != 2*len(dst) {
		return Errorf(EINVALID, "%s: want %d hex digits, got %d", kind, 2*len(dst), len(s))
	}
	if _, err := hex.Decode(dst, []byte(s)); err != nil {
		return Errorf(EINVALID, "%s: %q is not hex", kind, s)
	}
	return nil
}

// ParseMD5 parses 32 hex digits.
func ParseMD5(s string) (MD5, error) {
	var h MD5
	err := parseHex("md5", s, h[:])
	return h, err
}

// ParseSHA1 parses 40 hex digits.
func ParseSHA1(s string) (SHA1, error) {
	var h SHA1
	err := parseHex("sha1", s, h[:])
	return h, err
}

// ParseSHA256 parses 64 hex digits.
func ParseSHA256(s string) (SHA256, error) {
	var h SHA256
	err := parseHex("sha256", s, h[:])
	return h, err
}

// ParsePDQ parses 64 hex digits in the reference layout.
func ParsePDQ(s string) (PDQ, error) {
	var h PDQ
	err := parseHex("pdq", s, h[:])
	return h, err
}

func parse64(kind, s string) (uint64, error) {
	var b [8]byte
	if err := parseHex(kind, s, b[:]); err != nil {
		return 0, err
	}
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7]), nil
}

// ParsePHash parses 16 hex digits.
func ParsePHash(s string) (PHash, error) {
	v, err := parse64("phash", s)
	return PHash(v), err
}

// ParseDHash parses 16 hex digits.
func ParseDHash(s string) (DHash, error) {
	v, err := parse64("dhash", s)
	return DHash(v), err
}

// ParseAHash parses 16 hex digits.
func ParseAHash(s string) (AHash, error) {
	v, err := parse64("ahash", s)
	return AHash(v), err
}

// Digests holds the cryptographic digests of one byte stream. A digest that
// was not asked for is the zero value.
type Digests struct {
	MD5    MD5
	SHA1   SHA1
	SHA256 SHA256
}
