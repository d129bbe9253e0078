//go:build unix

package testenv

import (
	"os"
	"syscall"
)

// signalGroup sends sig to the process group p leads (see sysProcAttr).
func signalGroup(p *os.Process, sig syscall.Signal) {
	_ = syscall.Kill(-p.Pid, sig)
}
