//go:build unix

package testenv

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// MakeFIFO creates a named pipe at path, for the tests of what readers do
// with one; where there are none it returns an error, and the test skips.
func MakeFIFO(path string) error {
	return syscall.Mkfifo(path, 0o600)
}

// PeakRSS returns the peak resident set of a finished process in bytes, as
// the kernel reports it, and false where it reports none.
func PeakRSS(ps *os.ProcessState) (int64, bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, false
	}
	if runtime.GOOS == "darwin" {
		return ru.Maxrss, true // bytes on macOS
	}
	return ru.Maxrss << 10, true // KiB on Linux and the BSDs
}

// CPUTime returns the CPU time this process has used (all threads, user and
// system), and false where it cannot be read. On a shared machine it varies
// far less than wall time, which counts the time other processes hold the
// CPU.
func CPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
