package fsys

import "strings"

// Truncate cuts extents (in file order) to n bytes, dropping an extent
// left empty.
func Truncate(ex []Extent, n int64) []Extent {
	var at int64
	for i := range ex {
		if at+ex[i].Len >= n {
			ex[i].Len = n - at
			if ex[i].Len == 0 {
				return ex[:i]
			}
			return ex[:i+1]
		}
		at += ex[i].Len
	}
	return ex
}

// Join appends a file name to a directory path ("" is the root); a "/"
// inside the name (possible in some file systems' raw names) becomes "_".
func Join(dir, name string) string {
	name = strings.ReplaceAll(name, "/", "_")
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// Runs merges free space given in ascending order, unit by unit, into
// the extents an Unallocated callback receives.
type Runs struct {
	run Extent
	fn  func(Extent) error
}

// NewRuns returns a merger that passes each maximal run to fn.
func NewRuns(fn func(Extent) error) *Runs { return &Runs{fn: fn} }

// Add records n free bytes at off (ascending, not overlapping earlier
// ones); it passes on the run before when this one does not continue it.
func (r *Runs) Add(off, n int64) error {
	if r.run.Len > 0 && r.run.End() == off {
		r.run.Len += n
		return nil
	}
	err := r.Flush()
	r.run = Extent{Off: off, Len: n}
	return err
}

// Flush passes on the run in progress, if any.
func (r *Runs) Flush() error {
	if r.run.Len == 0 {
		return nil
	}
	e := r.run
	r.run = Extent{}
	return r.fn(e)
}
