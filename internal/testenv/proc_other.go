//go:build !unix

package testenv

import (
	"os"
	"syscall"
)

// sysProcAttr has nothing to set where there are no process groups.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// signalGroup can only kill the process itself where there are no process
// groups; kube-apiserver and etcd do not spawn children.
func signalGroup(p *os.Process, _ syscall.Signal) {
	_ = p.Kill()
}
