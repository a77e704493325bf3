// Package carve finds pictures and HEIF/MP4 files in raw bytes by their
// content alone: the unallocated space of a file system, the gaps between
// partitions, a whole disk image or any blob. Its one job is to say where
// each carved item starts, how long it is and what it is.
//
// A candidate starts at a sector (512-byte) boundary with a JPEG, PNG,
// GIF, BMP, WebP or ISO-BMFF ("ftyp") header. Each is bounded in size
// (Options.MaxSize) and validated by walking its structure: JPEG markers
// segment by segment to EOI (an EXIF thumbnail inside APP1 is skipped
// with its segment, so its EOI never ends the outer picture), PNG chunks
// with their CRCs to IEND, GIF blocks to the trailer, the BMP header's
// size and geometry, the RIFF size and chunks of WebP, the top-level
// boxes of ISO-BMFF. The image header is then decoded (DecodeConfig) for
// the formats Go reads. A file cut short (its end overwritten, or past
// the end of the free space) is kept up to its last good data and marked
// Truncated; a candidate without picture data (no scan, no image block)
// is dropped. JPEG scan data ends at a sector that starts another header
// or is all zeros, as deleted space usually is, and a cut JPEG is trimmed
// to what Go's decoder reads without a format error; formats whose length
// comes from their headers end at a sector that starts another file. The
// JPEG thumbnail of an EXIF segment is an item of its own (Embedded),
// kept even when the photo around it is not.
//
// Carving is contiguous within its input: a fragmented file is recovered
// up to its first gap only. Hook gives Scan a volume's free extents as
// one stream, so a file split only by blocks the file system holds is
// joined, its pieces listed in the item's origin. After an item, the search resumes at the next sector past its
// end, or for a BMP at a file found inside it (a BMP keeps its stated
// size: its raw rows decode whatever overwrote them). Memory is bounded (one read buffer and one window per Scan)
// whatever the input claims.
package carve
