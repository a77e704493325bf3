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
)
