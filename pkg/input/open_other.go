//go:build !unix

package input

import "os"

// openFile opens path for reading. Where there are no FIFOs to block on,
// special files are refused after the open, by the caller's Stat.
func openFile(path string, _ bool) (*os.File, error) { return os.Open(path) }
