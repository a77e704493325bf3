package pipeline

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
)

// Entry is one non-folder entry that Walk found.
type Entry struct {
	// Path is where the entry was found: the root joined with the names
	// below it (through the link, for entries reached by a followed link).
	Path string
	// Info describes a readable file (the link's target for a followed
	// link): a regular file, or the root itself. It is nil when Err is
	// set.
	Info fs.FileInfo
	// Err says why the entry is not read: a symbolic link not followed, a
	// special file (device, pipe, socket), a folder or file that cannot be
	// read, a link loop or a link out of the root.
	Err error
	// Target is the resolved target of a followed symbolic link.
	Target string
}

// WalkOptions configure Walk.
type WalkOptions struct {
	// FollowSymlinks follows symbolic links to files and folders inside
	// the root; links out of the root and loops are reported, never
	// followed.
	FollowSymlinks bool
	// MaxDepth bounds folder nesting (0: 256).
	MaxDepth int
}

// Walk calls visit for every entry under root that is not a folder, in
// lexical order within each folder. A root that is not a folder is visited
// alone and read whatever it is: a device or a pipe the user names is
// meant (winnow hash /dev/sdb, or <(...)); the same found below a root is
// reported and skipped. Problems below the root become entries with Err
// set; Walk itself returns an error only when root cannot be read, or
// ctx's or visit's error (as it is), which stops the walk.
func Walk(ctx context.Context, root string, opt WalkOptions, visit func(Entry) error) error {
	if opt.MaxDepth <= 0 {
		opt.MaxDepth = 256
	}
	fi, err := os.Stat(root) // the root itself is followed if a link
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return visit(Entry{Path: root, Info: fi})
	}
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	t := &tree{ctx: ctx, opt: opt, visit: visit, root: real}
	return t.dir(root, real, []fs.FileInfo{fi}, 1)
}

type tree struct {
	ctx   context.Context
	opt   WalkOptions
	visit func(Entry) error
	root  string // the root's resolved path
}

// dir walks one folder: shown is its path as reported, real where it is.
// up holds the folders on the way down, to catch link loops.
func (t *tree) dir(shown, real string, up []fs.FileInfo, depth int) error {
	entries, rerr := os.ReadDir(real)
	if rerr != nil {
		if err := t.visit(Entry{Path: shown, Err: triage.Errorf(triage.EINVALID, "cannot read folder: %v", triage.UnwrapPath(rerr))}); err != nil {
			return err
		}
	}
	for _, de := range entries {
		if err := t.ctx.Err(); err != nil {
			return err
		}
		p, rp := filepath.Join(shown, de.Name()), filepath.Join(real, de.Name())
		var err error
		switch typ := de.Type(); {
		case typ.IsDir():
			err = t.subdir(p, rp, up, depth)
		case typ&fs.ModeSymlink != 0:
			err = t.link(p, rp, up, depth)
		case typ.IsRegular():
			fi, ierr := de.Info()
			if ierr != nil {
				err = t.visit(Entry{Path: p, Err: triage.Errorf(triage.EINVALID, "cannot read: %v", triage.UnwrapPath(ierr))})
			} else {
				err = t.visit(Entry{Path: p, Info: fi})
			}
		default:
			err = t.visit(Entry{Path: p, Err: specialFile(typ)})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *tree) subdir(shown, real string, up []fs.FileInfo, depth int) error {
	if depth >= t.opt.MaxDepth {
		return t.visit(Entry{Path: shown, Err: triage.Errorf(triage.ETOOLARGE, "folders nested more than %d deep: not read", t.opt.MaxDepth)})
	}
	fi, err := os.Stat(real)
	if err != nil {
		return t.visit(Entry{Path: shown, Err: triage.Errorf(triage.EINVALID, "cannot read folder: %v", triage.UnwrapPath(err))})
	}
	for _, a := range up { // a bind mount can loop without links
		if os.SameFile(a, fi) {
			return t.visit(Entry{Path: shown, Err: triage.Errorf(triage.EUNSUPPORTED, "folder loop (the folder is also above itself): not read again")})
		}
	}
	return t.dir(shown, real, append(up[:len(up):len(up)], fi), depth+1)
}

// link handles a symbolic link found at shown (real is where it sits).
func (t *tree) link(shown, real string, up []fs.FileInfo, depth int) error {
	if !t.opt.FollowSymlinks {
		return t.visit(Entry{Path: shown, Err: triage.Errorf(triage.EUNSUPPORTED, "symbolic link: not followed (follow links inside the scanned folder with --follow-symlinks)")})
	}
	target, err := filepath.EvalSymlinks(real)
	if err != nil {
		return t.visit(Entry{Path: shown, Err: triage.Errorf(triage.EINVALID, "broken or looping symbolic link: %v", triage.UnwrapPath(err))})
	}
	if !within(t.root, target) {
		return t.visit(Entry{Path: shown, Err: triage.Errorf(triage.EUNSUPPORTED, "symbolic link to %s, outside the scanned folder: not followed", target)})
	}
	fi, err := os.Stat(target)
	if err != nil {
		return t.visit(Entry{Path: shown, Err: triage.Errorf(triage.EINVALID, "cannot read link target: %v", triage.UnwrapPath(err))})
	}
	switch {
	case fi.IsDir():
		for _, a := range up {
			if os.SameFile(a, fi) {
				return t.visit(Entry{Path: shown, Err: triage.Errorf(triage.EUNSUPPORTED, "symbolic link loop (to %s, a folder above it): not followed", target)})
			}
		}
		if depth >= t.opt.MaxDepth {
			return t.visit(Entry{Path: shown, Err: triage.Errorf(triage.ETOOLARGE, "folders nested more than %d deep: not read", t.opt.MaxDepth)})
		}
		return t.dir(shown, target, append(up[:len(up):len(up)], fi), depth+1)
	case fi.Mode().IsRegular():
		return t.visit(Entry{Path: shown, Info: fi, Target: target})
	}
	return t.visit(Entry{Path: shown, Err: specialFile(fi.Mode())})
}

// within reports whether path p lies in folder root (both resolved).
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

func specialFile(m fs.FileMode) error {
	kind := "special file"
	switch {
	case m&fs.ModeNamedPipe != 0:
		kind = "named pipe"
	case m&fs.ModeSocket != 0:
		kind = "socket"
	case m&fs.ModeDevice != 0:
		kind = "device"
	}
	return triage.Errorf(triage.EUNSUPPORTED, "%s: skipped", kind)
}
