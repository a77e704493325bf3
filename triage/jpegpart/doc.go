// Package jpegpart finds the part of a cut-short JPEG that its data really
// holds, and rewrites that part as a complete JPEG any decoder reads.
//
// A JPEG whose end is missing (a carved file whose end was overwritten, a
// copy interrupted) still holds the top of its picture. Decoders disagree
// on what to do with it: Go's image/jpeg refuses it, and libjpeg-turbo
// decodes it but fills what is missing. What it fills (libjpeg-turbo 2.1,
// measured in TestTurboPadding): a sequential (baseline) file gets all-zero
// coefficients for every block after the one where the data ends, so each
// missing block is flat mid-gray (Y = Cb = Cr = 128, RGB 128,128,128; the
// fancy upsampling of chroma blends one more row), and the MCU row where
// the data ends is decoded from zero bits up to that point (false colours,
// then gray); a progressive file keeps the coefficients the scans it read
// set, so a cut in a later scan leaves the whole picture with less detail,
// and a cut in the first DC scan leaves mid-gray below the last block row
// it reached, blended by libjpeg's block smoothing into the 32 rows above
// and below that boundary. Hashing such a raster would hash the padding as
// if it were picture.
//
// Visible walks the entropy-coded data with the file's own Huffman tables,
// without reconstructing pixels: it counts the MCUs (sequential) or, for a
// progressive file, the blocks of the first DC scan of the first
// component, that the data holds completely, and ends the picture at the
// last whole MCU row. The result is the file's own bytes up to that point,
// the frame header's height lowered to the rows kept, the last data byte
// padded with one bits, and an EOI: a valid JPEG of exactly the rows that
// were decoded from real data, which libjpeg-turbo and image/jpeg decode
// alike. A progressive file cut after its first complete DC scan keeps all
// its rows and the complete scans before the cut.
//
// Supported: Huffman-coded sequential (SOF0, SOF1) and progressive (SOF2)
// files, restart intervals, 8-bit samples. Arithmetic-coded, lossless and
// hierarchical files, and sequential files whose first scan does not hold
// every component, are refused with an error. The walk is bounded by the
// input: every loop advances through the data or stops.
package jpegpart
