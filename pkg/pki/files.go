package pki

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

// File modes of what the minting commands write: private keys readable by
// their owner only.
const (
	PrivateFileMode fs.FileMode = 0o600
	PublicFileMode  fs.FileMode = 0o644
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

// WriteFile writes data to path atomically: into a temporary file in the same
// directory, then moved into place, so a reader never sees half a key and an
// interrupted run leaves no torn file. Without overwrite the move is a hard
// link, which fails if path appeared meanwhile (reported as *ExistsError);
// with overwrite it is a rename, which replaces the file and its mode.
func WriteFile(path string, data []byte, perm fs.FileMode, overwrite bool) error {
	return WriteFiles([]NewFile{{Path: path, Data: data, Perm: perm}}, overwrite)
}

// NewFile is a file for WriteFiles to write.
type NewFile struct {
	Path string
	Data []byte
	Perm fs.FileMode
}

// WriteFiles writes files all or nothing (a key never without its
// certificate): each is written to a temporary file beside it first, and
// only then are they all moved into place, as WriteFile moves one. Should a
// move fail (a file in the way without overwrite), the files already moved
// are removed again, and so are the temporary files.
func WriteFiles(files []NewFile, overwrite bool) error {
	tmps := make([]string, 0, len(files))
	defer func() {
		for _, t := range tmps {
			os.Remove(t)
		}
	}()
	for _, f := range files {
		dir, base := filepath.Split(f.Path)
		tmp, err := writeTemp(dir, base, f.Data, f.Perm)
		if err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
		tmps = append(tmps, tmp)
	}
	for i, f := range files {
		if err := move(tmps[i], f.Path, overwrite); err != nil {
			if !overwrite {
				for _, done := range files[:i] {
					os.Remove(done.Path)
				}
			}
			return err
		}
	}
	return nil
}

// move puts tmp in path's place: a rename with overwrite, else a hard link
// that fails if path exists (then tmp is left for the caller to remove).
func move(tmp, path string, overwrite bool) error {
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
// perm (os.CreateTemp would always make it 0600), and returns its path.
func writeTemp(dir, base string, data []byte, perm fs.FileMode) (string, error) {
	for range 10 {
		name := filepath.Join(dir, "."+base+".tmp-"+strconv.FormatUint(rand.Uint64(), 36))
		err := writeNewFile(name, data, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, err
	}
	return "", fmt.Errorf("could not create a temporary file in %s", dir)
}
