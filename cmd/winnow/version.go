package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/winnow-forensics/winnow/triage/heifdec"
	"github.com/winnow-forensics/winnow/triage/jpegturbo"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "version", "", "Print the version, the Go toolchain and which decoders this build uses.")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "winnow %s (%s %s/%s)\n", versionName(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	for _, d := range decoderLines() {
		fmt.Fprintln(e.stdout, d)
	}
	return nil
}

// versionName is the version set at build time, else the module's.
func versionName() string {
	if version == "dev" {
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
	}
	return version
}

// decoderLines describes the decoders of this build.
func decoderLines() []string {
	jpeg := "jpeg: Go image/jpeg (pure Go; build with 'make build' and libturbojpeg0-dev for the fast path)"
	if jpegturbo.Available {
		jpeg = "jpeg: " + jpegturbo.Version + ", DCT-domain scaled decode; Go image/jpeg as fallback"
	}
	heic := "heic, heif, avif: not decoded (pure-Go build; build with 'make build' and libheif-dev); EXIF and size are read"
	if heifdec.Available {
		heic = "heic, heif, avif: " + heifdec.Version + " (libde265, dav1d) in sandboxed child processes"
	}
	return []string{
		"decoders:",
		"  " + jpeg,
		"  png, gif (first frame), bmp, tiff, webp: Go (image, golang.org/x/image)",
		"  " + heic,
		"detected, not decoded: video (mp4, mov, 3gp, mkv, webm, avi, asf, flv, mpeg, ts); archives (zip, tar, gzip, 7z, rar, bzip2, xz)",
	}
}
