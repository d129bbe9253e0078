package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// goProxy is a GOPROXY directory that serves the checkout fixture's commit
// the way the Go module proxy serves a commit of pinnedRepo that has no
// release tag: at a pseudo-version. GitHub is out of reach of the tests, so
// `go install ...@latest` is pointed here first, and at the real proxy for
// every dependency.
type goProxy struct {
	dir     string
	version string
}

var sharedGoProxy fixture[*goProxy]

func goProxyFixture(t *testing.T) *goProxy {
	t.Helper()
	c := checkoutFixture(t)
	return sharedGoProxy.get(t, func() (*goProxy, error) { return newGoProxy(c) })
}

func newGoProxy(c *checkout) (*goProxy, error) {
	dir, err := tempDir("aio-authn-e2e-goproxy-")
	if err != nil {
		return nil, err
	}
	p := &goProxy{dir: dir, version: module.PseudoVersion("v0", "", c.time, c.commit[:12])}
	escaped, err := module.EscapePath(modulePath)
	if err != nil {
		return nil, err
	}
	base := filepath.Join(dir, escaped, "@v")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, err
	}
	info, err := json.Marshal(map[string]string{"Version": p.version, "Time": c.time.UTC().Format("2006-01-02T15:04:05Z")})
	if err != nil {
		return nil, err
	}
	goMod, err := os.ReadFile(filepath.Join(c.dir, "go.mod"))
	if err != nil {
		return nil, err
	}
	// No tagged versions in the list, so @latest is the pseudo-version.
	for name, data := range map[string][]byte{
		"list": nil, p.version + ".info": info, p.version + ".mod": goMod, "../@latest": info,
	} {
		if err := os.WriteFile(filepath.Join(base, name), data, 0o644); err != nil {
			return nil, err
		}
	}
	// From the commit, as the proxy would: not dist/ or anything else the
	// tests leave in the checkout.
	zf, err := os.Create(filepath.Join(base, p.version+".zip"))
	if err != nil {
		return nil, err
	}
	if err := modzip.CreateFromVCS(zf, module.Version{Path: modulePath, Version: p.version}, c.dir, c.commit, ""); err != nil {
		zf.Close()
		return nil, err
	}
	if err := zf.Close(); err != nil {
		return nil, err
	}
	atExit = append(atExit, p.forget)
	return p, nil
}

// env returns env set up for `go install` from the proxy into gobin.
//
// The module cache stays the developer's (exportGoCaches): dependencies are
// already there, and compiled packages are cached by their directory, so a
// cache of its own would compile everything anew. The pseudo-version the
// install adds to it is removed again at the end (forget).
func (p *goProxy) env(env []string, gobin string) []string {
	next := os.Getenv("GOPROXY")
	if next == "" {
		next = "https://proxy.golang.org,direct"
	}
	return setEnv(env,
		"GOBIN="+gobin,
		"GOPROXY=file://"+filepath.ToSlash(p.dir)+","+next,
		// The checksum database knows no such version.
		"GONOSUMDB="+modulePath,
		// Extracted writable, so that forget can remove it.
		"GOFLAGS=-modcacherw",
	)
}

// forget removes the pseudo-version from the Go module cache.
func (p *goProxy) forget() { forgetModuleVersion(p.version) }

// forgetModuleVersion removes a version of this module from the Go module
// cache, with the list of versions the go command keeps beside it. The
// tests' versions are made up: the pseudo-version goProxy serves, and
// releaseTag, which the go command notes there when it stamps a build of the
// checkout fixture (pre-commit's) with its tag.
func forgetModuleVersion(version string) {
	cache := os.Getenv("GOMODCACHE")
	escaped, err := module.EscapePath(modulePath)
	if cache == "" || err != nil {
		return
	}
	os.RemoveAll(filepath.Join(cache, escaped+"@"+version))
	downloads := filepath.Join(cache, "cache", "download", escaped, "@v")
	files, _ := filepath.Glob(filepath.Join(downloads, version+".*"))
	for _, f := range append(files, filepath.Join(downloads, "list")) {
		os.Remove(f)
	}
}

// TestGoInstallAsTheReadmeSays runs the README's `go install` block as it
// stands: the module's binary must be kubectl-aio_authn, the name kubectl
// runs as `kubectl aio-authn`, and the real kubectl must find it.
func TestGoInstallAsTheReadmeSays(t *testing.T) {
	requireKubectl(t)
	p := goProxyFixture(t)
	block := installBlock(t, "go install ")

	gobin := t.TempDir()
	home := t.TempDir()
	// PATH without the binary the other tests use: only the installed one.
	env := p.env(commandEnv(home, gobin), gobin)
	r := runEnv(t, home, env, "bash", "-euo", "pipefail", "-c", block.text())
	if r.code != 0 {
		t.Fatalf("README.md:%d: the go install block exited %d\n%s%s", block.line, r.code, r.stdout, r.stderr)
	}
	entries, err := os.ReadDir(gobin)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "kubectl-aio_authn" {
		t.Errorf("go install put %v into GOBIN, want just kubectl-aio_authn", names)
	}
	if !strings.Contains(r.stdout, " "+p.version+" ") {
		t.Errorf("kubectl aio-authn version printed %q, want the installed version %s", r.stdout, p.version)
	}
}

// installBlock returns the ```sh block of README.md's Install section whose
// first line starts with prefix.
func installBlock(t *testing.T, prefix string) fencedBlock {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := fencedBlocks("README.md", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range sectionBlocks(blocks, "Install", "sh") {
		if len(b.lines) > 0 && strings.HasPrefix(b.lines[0], prefix) {
			return b
		}
	}
	t.Fatalf("README.md's Install section has no ```sh block starting with %q", prefix)
	return fencedBlock{}
}
