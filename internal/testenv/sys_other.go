//go:build !unix

package testenv

import (
	"errors"
	"os"
	"time"
)

// MakeFIFO fails: there are no named pipes in the file system here, and
// the tests that need one skip.
func MakeFIFO(string) error {
	return errors.New("no named pipes (FIFOs) on this system")
}

// PeakRSS is not measured here.
func PeakRSS(*os.ProcessState) (int64, bool) { return 0, false }

// CPUTime is not measured here.
func CPUTime() (time.Duration, bool) { return 0, false }
