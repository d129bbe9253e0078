//go:build !unix

package atomicfile

import (
	"errors"
	"io/fs"
	"os"
)

// create creates path, which must not exist yet, with mode perm and data,
// flushed to disk when sync is set.
func create(path string, data []byte, perm fs.FileMode, sync bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if werr == nil && sync {
		werr = f.Sync()
	}
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}
