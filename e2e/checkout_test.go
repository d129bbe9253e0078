package e2e

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The GitHub repository every documented download and every release URL
// names, whatever the clone a release is cut from.
const (
	pinnedOwner = "aio-authn"
	pinnedName  = "kubectl-aio-authn"
	pinnedRepo  = "https://github.com/" + pinnedOwner + "/" + pinnedName
	// modulePath is the Go module, served by the module proxy as pinnedRepo.
	modulePath = "github.com/" + pinnedOwner + "/" + pinnedName
)

// releaseTag is the tag of the checkout fixture: the release the tests cut,
// and the `rev:` of the pre-commit configuration in docs/ci.md.
const releaseTag = "v0.1.0"

// forkRemote is the checkout fixture's origin. Release URLs must not follow
// it: a release cut from a fork still sends users to pinnedRepo.
const forkRemote = "https://github.com/someone-else/kubectl-aio-authn-fork.git"

// checkout is what a maintainer releases and what pre-commit clones: a git
// repository holding the working tree as it is now (its tracked files and the
// new ones git does not ignore), committed and tagged releaseTag, with
// forkRemote as origin.
type checkout struct {
	dir    string
	commit string
	time   time.Time
}

var sharedCheckout fixture[*checkout]

func checkoutFixture(t *testing.T) *checkout {
	t.Helper()
	return sharedCheckout.get(t, newCheckout)
}

func newCheckout() (*checkout, error) {
	list, err := exec.Command("git", "-C", repoRoot, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return nil, fmt.Errorf("listing the working tree (the release tests need a git checkout): %v", err)
	}
	dir, err := tempDir("aio-authn-e2e-checkout-")
	if err != nil {
		return nil, err
	}
	for _, name := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		err := copyFile(filepath.Join(repoRoot, name), filepath.Join(dir, name))
		if os.IsNotExist(err) {
			continue // deleted in the working tree, not yet in the index
		}
		if err != nil {
			return nil, err
		}
	}
	home, err := tempDir("aio-authn-e2e-home-")
	if err != nil {
		return nil, err
	}
	env := commandEnv(home)
	if err := commitAll(dir, env, "the working tree under test"); err != nil {
		return nil, err
	}
	for _, args := range [][]string{
		{"tag", "-a", releaseTag, "-m", releaseTag},
		{"remote", "add", "origin", forkRemote},
	} {
		if _, err := output(dir, gitEnv(env), "git", args...); err != nil {
			return nil, err
		}
	}
	atExit = append(atExit, func() { forgetModuleVersion(releaseTag) })
	c := &checkout{dir: dir}
	out, err := output(dir, env, "git", "log", "-1", "--format=%H %cI")
	if err != nil {
		return nil, err
	}
	commit, date, _ := strings.Cut(strings.TrimSpace(out), " ")
	c.commit = commit
	if c.time, err = time.Parse(time.RFC3339, date); err != nil {
		return nil, err
	}
	return c, nil
}

// commitAll makes dir a git repository whose one commit holds its files.
func commitAll(dir string, env []string, message string) error {
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", message}} {
		if _, err := output(dir, gitEnv(env), "git", args...); err != nil {
			return err
		}
	}
	return nil
}

// gitEnv is env with an identity to commit with, and no system git
// configuration.
func gitEnv(env []string) []string {
	return setEnv(env, "GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@example.com",
		"GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@example.com", "GIT_CONFIG_NOSYSTEM=1")
}

// fixture builds something several tests share on first use, and hands
// every later caller the same value, or the same error.
type fixture[T any] struct {
	once  sync.Once
	value T
	err   error
}

func (f *fixture[T]) get(t *testing.T, build func() (T, error)) T {
	t.Helper()
	f.once.Do(func() { f.value, f.err = build() })
	if f.err != nil {
		t.Fatal(f.err)
	}
	return f.value
}

// tempDir makes a directory that lasts until the end of the test binary.
func tempDir(pattern string) (string, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return "", err
	}
	atExit = append(atExit, func() { os.RemoveAll(dir) })
	return dir, nil
}

// output runs a command for a fixture and returns its standard output; the
// error carries what it printed on standard error.
func output(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// copyFile copies a regular file, keeping its permission bits (the exec bit
// of completions/kubectl_complete-aio_authn matters to the archives).
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
