package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// InstallScript installs the programs and files the tests use besides Go;
// messages about a missing one point to it.
const InstallScript = "hack/install-deps.sh"

// RequireProgram returns the path of an external program a test runs: from PATH, else
// the first of also that is an executable file (Debian puts some daemons in
// /usr/sbin, which is not on every PATH). A missing program fails the test,
// since the suite's set-up installs it, except under -short, where the test
// is skipped: `go test -short ./...` passes on a machine with Go alone.
func RequireProgram(t testing.TB, name string, also ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range also {
		if checkExecutable(p) == nil {
			return p
		}
	}
	missing(t, name)
	return ""
}

// RequireFile returns path, a file of an installed package a test reads (what is
// the package's name, for the message), failing or skipping the test as
// RequireProgram does when it is missing.
func RequireFile(t testing.TB, path, what string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		missing(t, what+" ("+path+")")
	}
	return path
}

// installedElsewhere says how to get the programs InstallScript does not
// install, because Debian does not package them.
var installedElsewhere = map[string]string{
	"kubectl": "install kubectl as https://kubernetes.io/docs/tasks/tools/ says",
}

func missing(t testing.TB, what string) {
	t.Helper()
	how, ok := installedElsewhere[what]
	if !ok {
		how = "install it with: bash " + InstallScript
	}
	if testing.Short() {
		t.Skipf("skipping under -short: %s not found (%s)", what, how)
	}
	t.Fatalf("%s not found: %s", what, how)
}
