package main

import (
	"github.com/winnow-forensics/winnow/triage/archive"
	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/disk"
	"github.com/winnow-forensics/winnow/triage/hashing"
)

// The input kinds beyond plain files, each registered once here: winnow
// scan, winnow hash, hashset build and the lab worker all take them from
// these lists.

// containers are the container kinds Winnow expands, in the order they
// are tried (disk images and phone extractions join archives here).
var containers = []container.Container{archive.Archives, disk.Images}

// scanContainers are the container kinds of a scan: disk images verified
// against their stored digests with --verify-image, left whole with
// --no-disk-images.
func scanContainers(cfg scanConfig) []container.Container {
	switch {
	case cfg.noDiskImages:
		return []container.Container{archive.Archives}
	case cfg.verifyImage:
		return []container.Container{archive.Archives, &disk.Kind{Verify: true}}
	}
	return containers
}

// decoders decode media the built-in image decoders do not (HEIC/AVIF
// stills, video frames); none are built in yet.
var decoders []hashing.Decoder
