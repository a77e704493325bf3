package phone_test

import (
	"bytes"

	"github.com/winnow-forensics/winnow/triage/archive"
	"github.com/winnow-forensics/winnow/triage/container"
)

func openZip(data []byte) (*archive.ZipDir, error) {
	return archive.OpenZip(bytes.NewReader(data), int64(len(data)), container.Limits{})
}
