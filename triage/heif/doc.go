// Package heif reads the box structure of HEIF files (ISO/IEC 23008-12:
// HEIC, AVIF and other mif1 images) without decoding any pixels: the primary
// item, its coded type, its declared size, its grid of tiles, its rotation
// and mirroring, its alpha plane and its EXIF block.
//
// Its job is to refuse hostile files before a decoder sees them. The
// decoders (libheif, libde265, dav1d) are large C codebases; a crafted file
// a few kilobytes long can declare a 20480x20480 grid of 1,600 tiles that all
// point at one coded extent and keep a decoder busy for minutes and
// gigabytes. Parse checks, in pure Go and in time linear in the file's
// size, everything a decoder would allocate from: every image item's ispe,
// the grid's output size, tile count and tile sizes, the item references and
// every extent's bounds, and reports the total number of pixels a decode
// will produce, so that the caller can apply its pixel budget first.
//
// Every count, depth and size read from the file is bounded (see Limits);
// malformed input gives an error, never a panic. The package has no cgo and
// no dependencies.
package heif
