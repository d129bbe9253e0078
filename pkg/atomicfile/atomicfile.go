// Package atomicfile writes files so that no reader, and no interrupted or
// crashed run, ever sees one half-written: each file is written to a
// temporary file beside it, flushed to disk, and only then moved into
// place. It is the one way the tool writes what a user keeps (keys,
// certificates, converted manifests, a ready file).
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// ExistsError reports files that would be overwritten without --force.
type ExistsError struct {
	// Path is the first file in the way.
	Path string
	// More counts the other existing files.
	More int
}

func (e *ExistsError) Error() string {
	more := ""
	if e.More > 0 {
		more = " (and " + ui.Plural(e.More, "more file") + ")"
	}
	return fmt.Sprintf("%s already exists%s: pass --force to overwrite, or write somewhere else", e.Path, more)
}

// CheckFree returns an *ExistsError naming the first of paths that exists,
// so a command can refuse before writing anything rather than halfway.
func CheckFree(paths []string) error {
	var first string
	more := 0
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			if first == "" {
				first = p
			} else {
				more++
			}
		}
	}
	if first != "" {
		return &ExistsError{Path: first, More: more}
	}
	return nil
}

// File is a file for Write to write.
type File struct {
	Path string
	Data []byte
	// Perm is the new file's mode, less the umask.
	Perm fs.FileMode
}

// WriteFile writes one file as Write does.
func WriteFile(path string, data []byte, perm fs.FileMode, overwrite bool) error {
	return Write([]File{{Path: path, Data: data, Perm: perm}}, overwrite)
}

// Write writes files all or nothing (a key never without its certificate):
// each is written to a temporary file beside it and flushed first, and only
// then are they all moved into place. Without overwrite a move is a hard
// link, which fails if the file appeared meanwhile (an *ExistsError), and
// the files already moved are removed again; with overwrite it is a rename,
// which replaces the file, its mode and, for a symbolic link, the link.
func Write(files []File, overwrite bool) error {
	return write(files, overwrite, false)
}

// Replace rewrites the existing regular file path with data, keeping its
// mode: the temporary file gets the original's mode exactly, and is renamed
// over it. A symbolic link is followed and its target replaced, so the link
// stays.
func Replace(path string, data []byte) error {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	info, err := os.Stat(target)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	return write([]File{{Path: target, Data: data, Perm: info.Mode().Perm()}}, true, true)
}

// write is Write; exact gives the files their Perm whatever the umask.
func write(files []File, overwrite, exact bool) error {
	tmps := make([]string, 0, len(files))
	defer func() {
		for _, t := range tmps {
			os.Remove(t)
		}
	}()
	for _, f := range files {
		dir, base := filepath.Split(f.Path)
		tmp, err := writeTemp(dir, base, f.Data, f.Perm, exact)
		if err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
		tmps = append(tmps, tmp)
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	return MoveAll(tmps, paths, overwrite)
}

// MoveAll moves each file from[i] into to[i]'s place, as Move does. When a
// move fails without overwrite, the files already moved are removed again,
// so the set is all there or none of it is.
func MoveAll(from, to []string, overwrite bool) error {
	for i := range from {
		if err := Move(from[i], to[i], overwrite); err != nil {
			if !overwrite {
				for _, done := range to[:i] {
					os.Remove(done)
				}
			}
			return err
		}
	}
	return nil
}

// Move puts the file tmp in path's place: a rename with overwrite, else a
// hard link that fails with an *ExistsError if path exists (tmp is then
// left for the caller to remove), so a file that appeared meanwhile is never
// overwritten.
func Move(tmp, path string, overwrite bool) error {
	if overwrite {
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		return nil
	}
	err := os.Link(tmp, path)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrExist):
		return &ExistsError{Path: path}
	}
	// Some file systems have no hard links: check, then rename.
	if _, serr := os.Lstat(path); serr == nil {
		return &ExistsError{Path: path}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// writeTemp writes data to a new hidden file next to the target, with mode
// perm (os.CreateTemp would always make it 0600), flushed to disk so that a
// crash after the move leaves the new content rather than an empty file,
// and returns its path.
func writeTemp(dir, base string, data []byte, perm fs.FileMode, exact bool) (string, error) {
	for range 10 {
		name := filepath.Join(dir, "."+base+".tmp-"+strconv.FormatUint(rand.Uint64(), 36))
		err := create(name, data, perm, true)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err == nil && exact {
			if err = os.Chmod(name, perm); err != nil {
				os.Remove(name)
			}
		}
		return name, err
	}
	return "", fmt.Errorf("could not create a temporary file in %s", dir)
}

// CreateNew creates path, which must not exist yet, with mode perm (less
// the umask) and data, without flushing it: for files staged by the
// thousand and moved into place with Move, where a flush each would cost
// more than the files are worth.
func CreateNew(path string, data []byte, perm fs.FileMode) error {
	return create(path, data, perm, false)
}
