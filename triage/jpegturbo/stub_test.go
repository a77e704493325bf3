//go:build !turbojpeg || !cgo

package jpegturbo

const wantAvailable = false
