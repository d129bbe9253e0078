//go:build unix

package atomicfile

import (
	"errors"
	"io/fs"
	"syscall"
)

// create creates path, which must not exist yet, with mode perm (less the
// umask) and data, flushed to disk when sync is set. It talks to the kernel
// directly: os.OpenFile also tries to register every file with the
// runtime's poller, several system calls per file that a thousand-device
// fleet feels.
func create(path string, data []byte, perm fs.FileMode, sync bool) error {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, uint32(perm.Perm()))
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	for len(data) > 0 && err == nil {
		var n int
		n, err = syscall.Write(fd, data)
		if errors.Is(err, syscall.EINTR) {
			err = nil
			continue
		}
		data = data[n:]
	}
	for err == nil && sync {
		if err = syscall.Fsync(fd); !errors.Is(err, syscall.EINTR) {
			break
		}
		err = nil
	}
	if cerr := syscall.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		_ = syscall.Unlink(path)
		return &fs.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
}
