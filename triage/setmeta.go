package triage

import (
	"strings"
	"time"
)

// SetMeta describes a compiled hash set.
type SetMeta struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Kind is alert or known-good when every entry is of that kind (an
	// empty set: the kind it was built as), mixed when the entries are of
	// both. The builder takes it as the kind of entries that do not say
	// theirs, and sets it from the entries when it writes the file.
	Kind        SetKind   `json:"kind"`
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created"`
	// PDQRadius and PHashRadius override the matcher's default radius for
	// this set; zero means the default.
	PDQRadius   int         `json:"pdq_radius,omitempty"`
	PHashRadius int         `json:"phash_radius,omitempty"`
	Sources     []SetSource `json:"sources,omitempty"`
	Stats       ImportStats `json:"stats"`
	// Schemes are the definitions of the category schemes the entries'
	// categories use, so that a set built with a custom scheme (hashset
	// build --schemes) means the same wherever it is loaded. The builder
	// fills it in; loading registers those the process does not know.
	Schemes []Scheme `json:"schemes,omitempty"`
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
	case !m.Kind.Valid() && m.Kind != SetKindMixed:
		return Errorf(EINVALID, "hash set kind %q: want %s, %s or %s", m.Kind, SetKindAlert, SetKindKnownGood, SetKindMixed)
	case m.PDQRadius < 0 || m.PDQRadius > 256 || m.PHashRadius < 0 || m.PHashRadius > 64:
		return Errorf(EINVALID, "hash set radius out of range")
	}
	return nil
}
