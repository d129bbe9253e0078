//go:build unix

package input

import (
	"errors"
	"os"
	"syscall"
)

// openFile opens path for reading. Without special, the open does not
// block: a FIFO opened for reading waits for a writer, so it is opened
// non-blocking and then refused by the caller's Stat.
func openFile(path string, special bool) (*os.File, error) {
	if special {
		return os.Open(path)
	}
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	// Reads of a regular file never block, whatever O_NONBLOCK says.
	return os.NewFile(uintptr(fd), path), nil
}
