// Package pdq is a Go implementation of the PDQ perceptual image hash
// published by Meta (Facebook) in "The TMK+PDQF and PDQ hashing algorithms"
// (hashing.pdf, 2017/2019).
//
// # Pipeline
//
// A PDQ hash is computed from a single-channel luma image:
//
//  1. Luma: Y = 0.299*R + 0.587*G + 0.114*B, evaluated in float32 from 8-bit
//     channel values (see [Luma], [LumaFromRGB]). Single-channel (gray)
//     sources use the gray value itself (see [LumaFromGray]).
//  2. Blur: a Jarosz tent filter made of two passes of 1-D box filters, each
//     pass being one box filter along every row followed by one along every
//     column. The full box window is ceil(width/128) along rows and
//     ceil(height/128) along columns. Box outputs near the ends of a line
//     average only the samples that exist, so no padding is involved.
//  3. Decimation: the blurred image is point-sampled at the centres of a
//     64x64 grid: row ((2i+1)*height)/128, column ((2j+1)*width)/128.
//  4. Quality: the sum over the 64x64 buffer of |trunc((u-v)*100/255)| for
//     all vertical and horizontal neighbour pairs (u,v), divided by 90 and
//     clamped to 100.
//  5. DCT: B = D * A * Dt, where A is the 64x64 buffer and D is the 16x64
//     matrix D[i][j] = sqrt(2/64) * cos(pi/2/64 * (i+1) * (2j+1)), i.e. the
//     16 lowest non-DC frequencies of a DCT-II along each axis.
//  6. Threshold: bit i*16+j is set when B[i][j] is strictly greater than
//     the median of the 256 coefficients (the 128th smallest value).
//
// All arithmetic is done in float32 with the same operation order as the
// reference C++ implementation, so that identical luma input produces
// bit-identical hashes and quality values. The code uses explicit float32
// conversions so that the Go compiler can never fuse a multiply and an add.
// On amd64 with AVX2 the box filters run 8 lines an instruction (assembly:
// the column strips as they are, the rows transposed 8 at a time); each
// line's sums are the same additions, subtractions and divisions in the
// same order, so the blur is the Go loops' to the bit. [LumaFromRGB]
// converts 8 pixels an instruction there too, with the same products and
// sums as its tables.
//
// # Conventions
//
// This package implements the "fullsize" convention: the hash is computed
// on the full-resolution pixels given to it. No resizing is done before the
// blur and no EXIF orientation is applied; callers that want either must do
// it themselves.
//
// As in the reference, an image whose width or height is below 5 pixels
// hashes to the zero [Hash] with quality 0, and an input of exactly 64x64
// pixels is used as the 64x64 buffer directly, without blurring.
//
// The hexadecimal form of a [Hash] ([Hash.String]) is the reference 64-digit
// layout: a big-endian 256-bit number whose bit k (0 = least significant)
// is the DCT coefficient at row k/16, column k%16.
//
// [Hasher.HashDihedral] returns the hashes of the eight dihedral transforms
// of the image (rotations by 90 degrees and mirror images), derived from
// the one DCT by sign flips and transposition. They equal the hashes of the
// transformed pixels exactly or to within a few bits.
package pdq
