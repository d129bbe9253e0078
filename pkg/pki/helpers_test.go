package pki

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// requireBinary returns the path of an external program the test uses as an
// independent verifier. A missing program fails the test (it is part of the
// test suite's set-up), except under -short, where the test is skipped.
func requireBinary(t *testing.T, name string) string {
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

// openssl runs openssl with args in dir and returns its combined output,
// failing the test when it exits non-zero.
func openssl(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := opensslResult(t, dir, args...)
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func opensslResult(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(requireBinary(t, "openssl"), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// testdataDir is the package's testdata, found before any test changes
// directory.
var testdataDir = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Join(wd, "testdata")
}()

// mustContain fails unless text holds every one of wants.
func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// mustNotContain fails if text holds any of unwanted.
func mustNotContain(t *testing.T, what, text string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(text, w) {
			t.Errorf("%s holds %q:\n%s", what, w, text)
		}
	}
}
