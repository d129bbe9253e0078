// Package e2e runs the built kubectl-aio_authn binary the way users do: directly,
// through kubectl as a plugin, and by running every example in docs/.
package e2e

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files (the committed completions)")

// mainPackage is the main package users install, relative to the module
// root: its last element is the binary's name.
const mainPackage = "cmd/kubectl-aio_authn"

// testVersion is injected with -ldflags so the tests can see the linker
// settings reach the binary.
const testVersion = "v0.0.0-e2e"

var (
	// binDir holds the built plugin; tests put it first on PATH.
	binDir string
	// repoRoot is the module root.
	repoRoot string
)

func TestMain(m *testing.M) {
	flag.Parse()
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e setup:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	wd, err := os.Getwd()
	if err != nil {
		return 0, err
	}
	repoRoot = filepath.Dir(wd)
	binDir, err = os.MkdirTemp("", "aio-authn-e2e-bin-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(binDir)
	exe := "kubectl-aio_authn"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	ldflags := "-X github.com/aio-authn/kubectl-aio-authn/pkg/version.Version=" + testVersion +
		" -X github.com/aio-authn/kubectl-aio-authn/pkg/version.Commit=e2e" +
		" -X github.com/aio-authn/kubectl-aio-authn/pkg/version.Date=2026-01-01T00:00:00Z"
	// The package `go install` and releases build (see TestReleaseConfig).
	build := exec.Command("go", "build", "-ldflags", ldflags, "-o", filepath.Join(binDir, exe), "./"+mainPackage)
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build: %v\n%s", err, out)
	}
	return m.Run(), nil
}

// result is what a command did.
type result struct {
	stdout, stderr string
	code           int
}

// run runs name with args in dir (the repo root when empty), with the plugin
// first on PATH and a clean, colourless environment.
func run(t *testing.T, dir string, name string, args ...string) result {
	t.Helper()
	// exec resolves the program with the test's own PATH; the plugin is
	// only on the PATH given to the child.
	if p := filepath.Join(binDir, name); name == "kubectl-aio_authn" {
		name = p
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if dir == "" {
		cmd.Dir = repoRoot
	}
	cmd.Env = testEnv(t)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running %s %s: %v", name, strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// testEnv is the environment the binary runs in: PATH with the plugin first,
// no colour, UTC, and a HOME and KUBECONFIG of its own so nothing of the
// developer's machine leaks in.
func testEnv(t *testing.T) []string {
	home := t.TempDir()
	env := []string{
		"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + home,
		"KUBECONFIG=" + filepath.Join(home, "kubeconfig"),
		"NO_COLOR=1",
		"TZ=UTC",
		"LANG=C.UTF-8",
	}
	for _, k := range []string{"GOPATH", "GOCACHE", "GOMODCACHE", "GOFLAGS", "GOPROXY", "TMPDIR",
		"AIO_AUTHN_CACHE", "AIO_AUTHN_KUBE_APISERVER", "AIO_AUTHN_ETCD"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
