//go:build unix && !linux

package testenv

import "syscall"

// sysProcAttr puts a server in its own process group, so Stop can signal
// everything it spawned.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
