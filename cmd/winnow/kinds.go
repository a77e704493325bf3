package main

import (
	"runtime"

	"github.com/winnow-forensics/winnow/triage/archive"
	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/disk"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/heifdec"
	"github.com/winnow-forensics/winnow/triage/phone"
	"github.com/winnow-forensics/winnow/triage/sandbox"
	"github.com/winnow-forensics/winnow/triage/video"
)

// The input kinds beyond plain files, each registered once here: winnow
// scan, winnow hash, hashset build and the lab worker all take them from
// these lists.

// containers are the container kinds Winnow expands, in the order they
// are tried: phone extractions claim zips before archives do (a zip that
// is neither a UFDR nor a GrayKey file system is expanded as an archive).
var containers = []container.Container{phone.Extractions, archive.Archives, disk.Images}

// scanContainers are the container kinds of a scan: disk images verified
// against their stored digests with --verify-image, left whole with
// --no-disk-images.
func scanContainers(cfg scanConfig) []container.Container {
	switch {
	case cfg.noDiskImages:
		return []container.Container{phone.Extractions, archive.Archives}
	case cfg.verifyImage:
		return []container.Container{phone.Extractions, archive.Archives, &disk.Kind{Verify: true}}
	}
	return containers
}

// sandboxHandlers are the decoders that run inside this binary's sandbox
// children (see package sandbox): main hands them to sandbox.Main.
var sandboxHandlers = map[string]sandbox.Handler{heifdec.HandlerName: heifdec.Handler}

// decoders decode media the built-in image decoders do not: videos with
// ffmpeg, and HEIC, HEIF and AVIF stills with libheif (builds with the
// libheif tag), each in sandboxed children.
var decoders = newDecoders()

func newDecoders() []hashing.Decoder {
	ds := []hashing.Decoder{video.Decoder{}}
	if heifdec.Available {
		// One child per core at most; children start when a file needs one.
		if pool, err := sandbox.NewPool(sandbox.PoolOptions{Size: runtime.NumCPU()}); err == nil {
			ds = append(ds, heifdec.NewStill(pool))
		}
	}
	return ds
}
