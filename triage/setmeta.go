package triage

import (
	"strings"
	"time"
)

// Set kinds.
const (
	KindAlert     = "alert"      // known material: a match is "known" or "variant"
	KindKnownGood = "known-good" // known-benign (NSRL and the like): a match is "ignorable"
)

// SetMeta describes a compiled hash set.
type SetMeta struct {
	Name        string    `json:"name"`
	Version     string    `json:"version"`
	Kind        string    `json:"kind"`
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created"`
	// PDQRadius and PHashRadius override the matcher's default radius for
	// this set; zero means the default.
	PDQRadius   int         `json:"pdq_radius,omitempty"`
	PHashRadius int         `json:"phash_radius,omitempty"`
	Sources     []SetSource `json:"sources,omitempty"`
	Stats       ImportStats `json:"stats"`
}

// SetSource records one input a set was built from.
type SetSource struct {
	Path   string            `json:"path"`
	Format string            `json:"format"`
	Meta   map[string]string `json:"meta,omitempty"`
	Stats  ImportStats       `json:"stats"`
}

// Validate reports metadata that cannot be written.
func (m *SetMeta) Validate() error {
	switch {
	case strings.TrimSpace(m.Name) == "":
		return Errorf(EINVALID, "hash set needs a name")
	case m.Kind != KindAlert && m.Kind != KindKnownGood:
		return Errorf(EINVALID, "hash set kind %q: want %s or %s", m.Kind, KindAlert, KindKnownGood)
	case m.PDQRadius < 0 || m.PDQRadius > 256 || m.PHashRadius < 0 || m.PHashRadius > 64:
		return Errorf(EINVALID, "hash set radius out of range")
	}
	return nil
}
