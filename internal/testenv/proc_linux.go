//go:build linux

package testenv

import "syscall"

// sysProcAttr puts a server in its own process group, so Stop can signal
// everything it spawned, and has the kernel kill it if the test binary dies
// first (a `go test -timeout` panic would otherwise leave it running).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
