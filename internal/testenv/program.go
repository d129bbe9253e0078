package testenv

import (
	"os/exec"
	"testing"
)

// RequireProgram returns the path of an external program a test uses as an
// independent party (mosquitto, openssl, curl). A missing program fails the
// test, since hack/install-deps.sh installs it, except under -short, where
// the test is skipped.
func RequireProgram(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if testing.Short() {
		t.Skipf("skipping under -short: %s not found (install it with: bash hack/install-deps.sh)", name)
	}
	t.Fatalf("%s not found: install the test dependencies with: bash hack/install-deps.sh", name)
	return ""
}
