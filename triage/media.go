package triage

// Kind is the broad class of a file, decided from its content.
type Kind uint8

// Kinds of content. The zero value is KindUnknown.
const (
	KindUnknown Kind = iota
	KindImage
	KindVideo
	KindArchive
	KindDocument
)

// String returns the kind's lowercase name.
func (k Kind) String() string {
	switch k {
	case KindImage:
		return "image"
	case KindVideo:
		return "video"
	case KindArchive:
		return "archive"
	case KindDocument:
		return "document"
	}
	return "unknown"
}

// MediaType is the sniffed type of a file: a MIME type and its kind.
type MediaType struct {
	MIME string
	Kind Kind
}

// Decodable reports whether Winnow can decode the type to pixels.
func (t MediaType) Decodable() bool {
	switch t.MIME {
	case MIMEJPEG, MIMEPNG, MIMEGIF, MIMEBMP, MIMETIFF, MIMEWebP:
		return true
	}
	return false
}

// MIME types that the pipeline treats specially.
const (
	MIMEJPEG    = "image/jpeg"
	MIMEPNG     = "image/png"
	MIMEGIF     = "image/gif"
	MIMEBMP     = "image/bmp"
	MIMETIFF    = "image/tiff"
	MIMEWebP    = "image/webp"
	MIMEHEIC    = "image/heic"
	MIMEHEIF    = "image/heif"
	MIMEAVIF    = "image/avif"
	MIMEUnknown = "application/octet-stream"

	// Disk images (package disk expands them): an EWF image's first (or
	// only) segment, a later segment (read with the first, not on its
	// own), EWF version 2 and logical evidence files (recognised, not
	// read), and raw images (a partition table or a file system at the
	// start).
	MIMEEWF        = "application/x-ewf"
	MIMEEWFSegment = "application/x-ewf-segment"
	MIMEEWF2       = "application/x-ewf2"
	MIMEEWFLogical = "application/x-ewf-logical"
	MIMEDiskImage  = "application/x-raw-disk-image"
)
