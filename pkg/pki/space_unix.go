//go:build unix

package pki

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// checkSpace refuses to start minting files that the file system holding
// outDir has no room for (blocks or inodes), rather than filling it and
// failing halfway. Each file is counted as a few blocks: keys and
// certificates are under 4 KiB, RSA-4096 keys included.
func checkSpace(outDir string, files int, key KeySpec) error {
	dir := filepath.Clean(outDir)
	for {
		if _, err := os.Stat(dir); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return nil // no answer: minting reports a full disk if it comes to it
	}
	perFile := uint64(4096)
	if key.Type == KeyTypeRSA && key.Size > 4096 {
		perFile = 8192
	}
	need := uint64(files)*perFile + 1<<20
	free := st.Bavail * uint64(st.Bsize)
	if need > free {
		return fmt.Errorf("not enough space for %d files in %s: they need about %s, %s is free; free some space or mint fewer clients",
			files, outDir, megabytes(need), megabytes(free))
	}
	if st.Files > 0 && uint64(files)+16 > st.Ffree {
		return fmt.Errorf("not enough free inodes for %d files in %s (%d free): mint fewer clients", files, outDir, st.Ffree)
	}
	return nil
}

func megabytes(n uint64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
