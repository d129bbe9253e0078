package cmd

import "os"

// Main is the whole program: it runs this process's command line and exits
// with its exit code. Two main packages call it and nothing else: the module
// root, and cmd/kubectl-aio_authn, whose last path element is what gives
// `go install` the executable name kubectl looks for (a binary is named after
// its package path, and the module path ends in kubectl-aio-authn).
func Main() {
	os.Exit(Execute(displayName(os.Args[0]), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
