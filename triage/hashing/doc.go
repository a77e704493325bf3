// Package hashing is Winnow's hashing engine: it turns the bytes of one
// file into a triage.Fingerprint with one read.
//
// A Hasher feeds the same bytes to MD5, SHA-1 and SHA-256 (computed
// concurrently), sniffs the type by content (Sniff, never by name) and,
// for images, decodes under Limits: the declared size is checked before a
// single pixel is allocated, and all concurrent decodes share one memory
// budget. From the luma plane it computes Meta's PDQ (package pdq), the
// 64-bit pHash, dHash and aHash, the hashes of the eight rotations and
// flips, and the derived views of the image that matching queries too
// (the content inside a uniform border, a guessed uncrop and its mirror
// image, a small rotation undone, the picture between caption bands, the
// tiles of a collage; see triage.View), and when asked, the hashes of a
// known image's regions and its local features (package keypoint). JPEGs go through libjpeg-turbo's
// scaled decode when the binary is built with it (package jpegturbo); a
// JPEG cut short is hashed from the rows its data holds (package jpegpart)
// and marked Fingerprint.Partial.
//
// Untrusted input is the normal case: decoders run under limits and panic
// recovery, and a bad file becomes Fingerprint.Err, never a crash; an
// error of a decoder that could not read the picture is marked
// ErrUndecodable.
package hashing
