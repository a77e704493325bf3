package main

import (
	"fmt"
	"runtime"

	"github.com/winnow-forensics/winnow/triage/archive"
	"github.com/winnow-forensics/winnow/triage/carve"
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
// against their stored digests with --verify-image, carved with --carve,
// left whole with --no-disk-images.
func scanContainers(cfg scanConfig) []container.Container {
	switch {
	case cfg.noDiskImages:
		return []container.Container{phone.Extractions, archive.Archives}
	case cfg.verifyImage || cfg.carve != "":
		return []container.Container{phone.Extractions, archive.Archives, diskKind(cfg.verifyImage, cfg.carve)}
	}
	return containers
}

// carveMode is --carve (scan) and WINNOW_CARVE (worker): "" carves
// nothing; "unallocated" carves the free space of each file system read,
// the space outside partitions and volumes whose content is unknown;
// "all" carves every disk image whole (pictures inside allocated files,
// pagefile, hiberfil...) and also files of unknown type, as raw blobs.
type carveMode string

func (c *carveMode) String() string { return string(*c) }

// Set takes "unallocated" (or "true": the bare flag), "all", "false" or
// "off".
func (c *carveMode) Set(v string) error {
	switch v {
	case "true", "unallocated":
		*c = "unallocated"
	case "all":
		*c = "all"
	case "false", "off", "":
		*c = ""
	default:
		return fmt.Errorf("want unallocated or all, not %q", v)
	}
	return nil
}

// IsBoolFlag lets --carve stand alone.
func (c *carveMode) IsBoolFlag() bool { return true }

// diskKind is the disk-image kind verifying EWF images or not, carving
// as mode says.
func diskKind(verify bool, mode carveMode) *disk.Kind {
	k := &disk.Kind{Verify: verify}
	if mode != "" {
		k.Carve = carve.Hook(carve.Options{})
		k.WholeImage, k.Blobs = mode == "all", mode == "all"
	}
	return k
}

// labContainers are the worker's container kinds, carving as
// WINNOW_CARVE says.
func labContainers(mode carveMode) []container.Container {
	if mode == "" {
		return containers
	}
	return []container.Container{phone.Extractions, archive.Archives, diskKind(false, mode)}
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
