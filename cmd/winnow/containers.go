package main

import (
	"github.com/winnow-forensics/winnow/triage/archive"
	"github.com/winnow-forensics/winnow/triage/container"
)

// containers are the container kinds Winnow expands, in the order they
// are tried: winnow scan and the lab worker both expand these. A new kind
// (disk images, phone extractions) is added here once.
var containers = []container.Container{archive.Archives}
