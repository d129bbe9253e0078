// Package e2e runs the built kubectl-aio_authn binary the way users do: directly,
// through kubectl as a plugin, and by running every example in docs/.
package e2e

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

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
	defer func() {
		for i := len(atExit) - 1; i >= 0; i-- {
			atExit[i]()
		}
	}()
	// Tests run tools with a HOME of their own; the Go caches stay the
	// developer's, so builds inside tests (go install, goreleaser,
	// pre-commit's hook install) reuse what is already compiled.
	if err := exportGoCaches(); err != nil {
		return 0, err
	}
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

// atExit holds clean-ups of fixtures that several tests share (a release
// built once, say); TestMain runs them after the last test, newest first.
var atExit []func()

// exportGoCaches sets GOCACHE, GOMODCACHE and GOPATH to where the go command
// puts them now, unless already set, so that testEnv hands them on to the
// commands tests run.
func exportGoCaches() error {
	keys := []string{"GOCACHE", "GOMODCACHE", "GOPATH"}
	out, err := exec.Command("go", append([]string{"env"}, keys...)...).Output()
	if err != nil {
		return fmt.Errorf("go env: %v", err)
	}
	values := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	for i, k := range keys {
		if _, set := os.LookupEnv(k); !set && i < len(values) && values[i] != "" {
			os.Setenv(k, values[i])
		}
	}
	return nil
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
	return runEnv(t, dir, testEnv(t), name, args...)
}

// runEnv is run with the environment env.
func runEnv(t *testing.T, dir string, env []string, name string, args ...string) result {
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
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code, err := exitCode(cmd.Run())
	if err != nil {
		t.Fatalf("running %s %s: %v", name, strings.Join(args, " "), err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// exitCode reads what running a command returned: its exit code when it
// ran (0, or the code of an *exec.ExitError), else the error that kept it
// from running or being waited for.
func exitCode(err error) (int, error) {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, err
}

// testEnv is the environment the binary runs in: PATH with the plugin first,
// no colour, UTC, and a HOME and KUBECONFIG of its own so nothing of the
// developer's machine leaks in.
func testEnv(t *testing.T) []string {
	return commandEnv(t.TempDir(), binDir)
}

// commandEnv is testEnv with the given HOME and the given directories in
// front of PATH.
func commandEnv(home string, path ...string) []string {
	env := []string{
		"PATH=" + strings.Join(append(path, os.Getenv("PATH")), string(os.PathListSeparator)),
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

// setEnv returns env with each "KEY=value" of kv replacing the variable of
// that name, or added.
func setEnv(env []string, kv ...string) []string {
	out := slices.Clone(env)
	for _, v := range kv {
		key := v[:strings.IndexByte(v, '=')+1]
		out = slices.DeleteFunc(out, func(e string) bool { return strings.HasPrefix(e, key) })
		out = append(out, v)
	}
	return out
}
