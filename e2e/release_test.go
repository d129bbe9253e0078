package e2e

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// goreleaserConfig is the part of .goreleaser.yaml the tests check.
type goreleaserConfig struct {
	ProjectName string            `json:"project_name"`
	Builds      []goreleaserBuild `json:"builds"`
	Archives    []struct {
		NameTemplate string `json:"name_template"`
	} `json:"archives"`
	Checksum struct {
		NameTemplate string `json:"name_template"`
	} `json:"checksum"`
	Release struct {
		GitHub struct {
			Owner string `json:"owner"`
			Name  string `json:"name"`
		} `json:"github"`
		ExtraFiles []struct {
			Glob string `json:"glob"`
		} `json:"extra_files"`
	} `json:"release"`
	Krews []struct {
		Name        string `json:"name"`
		SkipUpload  any    `json:"skip_upload"`
		URLTemplate string `json:"url_template"`
		Homepage    string `json:"homepage"`
	} `json:"krews"`
}

// goreleaserBuild is one entry of builds: what `go build` is run with.
type goreleaserBuild struct {
	Main    string   `json:"main"`
	Binary  string   `json:"binary"`
	Env     []string `json:"env"`
	Goos    []string `json:"goos"`
	Goarch  []string `json:"goarch"`
	Flags   []string `json:"flags"`
	Ldflags []string `json:"ldflags"`
}

// env is the environment goreleaser builds goos/goarch in.
func (b goreleaserBuild) env(goos, goarch string) []string {
	env := append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch)
	return append(env, b.Env...)
}

// releaseTemplateValues stand for the templates in ldflags, with the
// length a release gives them.
var releaseTemplateValues = map[string]string{
	".Version":    "1.2.3",
	".FullCommit": strings.Repeat("0123456789", 4),
	".Date":       "2026-01-02T03:04:05Z",
}

var templateRE = regexp.MustCompile(`{{\s*([^}]*?)\s*}}`)

// buildArgs are the arguments of `go build` that make the release binary
// at out: the build's flags and its ldflags, templates filled in as a
// release fills them. A template it does not know is an error, so that a
// new one is given a value here rather than silently dropped.
func (b goreleaserBuild) buildArgs(out string) ([]string, error) {
	var unknown []string
	ldflags := templateRE.ReplaceAllStringFunc(strings.Join(b.Ldflags, " "), func(m string) string {
		name := templateRE.FindStringSubmatch(m)[1]
		v, ok := releaseTemplateValues[name]
		if !ok {
			unknown = append(unknown, m)
		}
		return v
	})
	if len(unknown) > 0 {
		return nil, fmt.Errorf("ldflags use templates this test has no value for: %v", unknown)
	}
	args := append([]string{"build", "-o", out}, b.Flags...)
	return append(args, "-ldflags="+ldflags, b.Main), nil
}

func readGoreleaserConfig(t *testing.T) goreleaserConfig {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg goreleaserConfig
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestReleaseConfig checks the promises .goreleaser.yaml makes that a
// release of two platforms (TestRelease...) cannot show: static binaries for
// the six platforms, built from the package `go install` builds, version data
// injected into the variables that really exist, and every URL pinned to the
// GitHub repository rather than taken from the clone's remote.
func TestReleaseConfig(t *testing.T) {
	cfg := readGoreleaserConfig(t)
	if len(cfg.Builds) != 1 {
		t.Fatalf("want one build, got %d", len(cfg.Builds))
	}
	b := cfg.Builds[0]
	if b.Main != "./"+mainPackage {
		t.Errorf("main = %q, want ./%s: the package go install builds", b.Main, mainPackage)
	}
	if b.Binary != "kubectl-aio_authn" {
		t.Errorf("binary = %q, want kubectl-aio_authn (the name kubectl looks for)", b.Binary)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") {
		t.Errorf("builds must set CGO_ENABLED=0, env = %v", b.Env)
	}
	if strings.Join(b.Goos, ",") != "linux,darwin,windows" || strings.Join(b.Goarch, ",") != "amd64,arm64" {
		t.Errorf("platforms = %v × %v", b.Goos, b.Goarch)
	}
	flags := strings.Join(b.Ldflags, " ")
	for _, v := range []string{"Version", "Commit", "Date"} {
		if !strings.Contains(flags, modulePath+"/pkg/version."+v+"=") {
			t.Errorf("ldflags do not set pkg/version.%s: %s", v, flags)
		}
	}
	if len(cfg.Archives) != 1 || cfg.Archives[0].NameTemplate != "{{ .ProjectName }}_{{ .Os }}_{{ .Arch }}" {
		t.Errorf("archives should be named for krew: %+v", cfg.Archives)
	}
	if cfg.Checksum.NameTemplate == "" {
		t.Error("no checksum file")
	}
	if gh := cfg.Release.GitHub; gh.Owner != pinnedOwner || gh.Name != pinnedName {
		t.Errorf("release.github = %s/%s, want %s/%s pinned", gh.Owner, gh.Name, pinnedOwner, pinnedName)
	}
	if len(cfg.Krews) != 1 {
		t.Fatalf("want one krew manifest, got %d", len(cfg.Krews))
	}
	k := cfg.Krews[0]
	if k.Name != "aio-authn" || k.SkipUpload != true {
		t.Errorf("krew manifest should be named aio-authn with skip_upload: true: %+v", k)
	}
	if !strings.HasPrefix(k.URLTemplate, pinnedRepo+"/releases/download/") || k.Homepage != pinnedRepo {
		t.Errorf("krew url_template %q and homepage %q should be pinned to %s", k.URLTemplate, k.Homepage, pinnedRepo)
	}
}

// TestReleaseTargetsVetAndBuild vets the whole module, tests included, and
// builds the binary for every platform .goreleaser.yaml ships, with the
// release's environment (CGO_ENABLED=0): code for Linux alone (a system call,
// a signal, a file mode) fails here rather than in a release. The targets
// are read from the configuration, so a platform added there is checked.
func TestReleaseTargetsVetAndBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the module for every release platform; skipped under -short")
	}
	b := readGoreleaserConfig(t).Builds[0]
	if len(b.Goos) == 0 || len(b.Goarch) == 0 {
		t.Fatalf(".goreleaser.yaml names no platforms: goos %v, goarch %v", b.Goos, b.Goarch)
	}
	for _, goos := range b.Goos {
		for _, goarch := range b.Goarch {
			t.Run(goos+"/"+goarch, func(t *testing.T) {
				env := b.env(goos, goarch)
				if _, err := output(repoRoot, env, "go", "vet", "./..."); err != nil {
					t.Errorf("vet: %v", err)
				}
				if _, err := output(repoRoot, env, "go", "build", "-o", os.DevNull, b.Main); err != nil {
					t.Errorf("build: %v", err)
				}
			})
		}
	}
}

// releaseSizeLimit is the most the release binary may weigh, in bytes
// (45 MB). It was 64 MB while the binary linked every built-in API group's
// typed client and kubectl's resource builder (kustomize, OpenAPI) for a
// few resources and the connection and output flags.
const releaseSizeLimit = 45_000_000

// TestReleaseBinarySize builds the release binary for linux/amd64 exactly
// as .goreleaser.yaml says (environment, flags, ldflags) and fails when it
// outgrows releaseSizeLimit: a dependency that links far more than it is
// used for shows here, in the change that adds it.
func TestReleaseBinarySize(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the release binary; skipped under -short")
	}
	b := readGoreleaserConfig(t).Builds[0]
	out := filepath.Join(t.TempDir(), b.Binary)
	args, err := b.buildArgs(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := output(repoRoot, b.env("linux", "amd64"), "go", args...); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("release binary (linux/amd64): %d bytes (%.1f MB); limit %.1f MB", info.Size(), float64(info.Size())/1e6, releaseSizeLimit/1e6)
	if info.Size() > releaseSizeLimit {
		t.Errorf("the release binary is %.1f MB, more than %.0f MB: see what links it with `go tool nm -size -sort size` on a build without -s -w, and `go list -deps %s`",
			float64(info.Size())/1e6, releaseSizeLimit/1e6, b.Main)
	}
}

// release is what `goreleaser release --skip=publish` makes of the checkout
// fixture at releaseTag, with .goreleaser.yaml narrowed to the host platform,
// linux/amd64 (what the CI recipes download) and windows/amd64 (the zip):
// compiling all six would cost minutes for nothing more to see.
type release struct {
	dir  string // the checkout
	dist string
	// assets are the files the GitHub release would hold, by name: the
	// archives and checksums goreleaser made, and the release's extra_files.
	assets map[string]string
}

var sharedRelease fixture[*release]

func releaseFixture(t *testing.T) *release {
	t.Helper()
	c := checkoutFixture(t)
	goreleaser := releaseTool(t, "AIO_AUTHN_GORELEASER")
	return sharedRelease.get(t, func() (*release, error) { return newRelease(c, goreleaser) })
}

func newRelease(c *checkout, goreleaser string) (*release, error) {
	configData, err := os.ReadFile(filepath.Join(c.dir, ".goreleaser.yaml"))
	if err != nil {
		return nil, err
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(configData, &cfg); err != nil {
		return nil, err
	}
	builds, _ := cfg["builds"].([]any)
	for _, b := range builds {
		b := b.(map[string]any)
		b["goos"] = uniq(runtime.GOOS, "linux", "windows")
		b["goarch"] = uniq(runtime.GOARCH, "amd64")
	}
	narrowed, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	work, err := tempDir("aio-authn-e2e-release-")
	if err != nil {
		return nil, err
	}
	config := filepath.Join(work, "goreleaser.yaml")
	if err := os.WriteFile(config, narrowed, 0o644); err != nil {
		return nil, err
	}
	// --skip=publish, and no GITHUB_TOKEN in the environment: everything a
	// tagged release does up to the upload.
	if _, err := output(c.dir, commandEnv(work), goreleaser, "release", "--clean", "--skip=publish", "--config", config); err != nil {
		return nil, err
	}

	r := &release{dir: c.dir, dist: filepath.Join(c.dir, "dist"), assets: map[string]string{}}
	data, err := os.ReadFile(filepath.Join(r.dist, "artifacts.json"))
	if err != nil {
		return nil, err
	}
	var artifacts []struct{ Name, Path, Type string }
	if err := json.Unmarshal(data, &artifacts); err != nil {
		return nil, err
	}
	for _, a := range artifacts {
		if a.Type == "Archive" || a.Type == "Checksum" {
			r.assets[a.Name] = filepath.Join(c.dir, a.Path)
		}
	}
	var real goreleaserConfig
	if err := yaml.Unmarshal(configData, &real); err != nil {
		return nil, err
	}
	for _, f := range real.Release.ExtraFiles {
		matches, err := filepath.Glob(filepath.Join(c.dir, f.Glob))
		if err != nil || len(matches) == 0 {
			return nil, fmt.Errorf("release.extra_files %q matches nothing after the release: %v", f.Glob, err)
		}
		for _, m := range matches {
			r.assets[filepath.Base(m)] = m
		}
	}
	return r, nil
}

// uniq returns the strings in order, without repeats.
func uniq(s ...string) []string {
	var out []string
	for _, x := range s {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// releaseTool returns the path of a program hack/install-tools.sh installs:
// from the variable it exports (hack/test.sh sets them all), else from the
// script itself, which installs it into the cache when missing; under -short,
// the test is skipped instead.
func releaseTool(t *testing.T, envVar string) string {
	t.Helper()
	if p := os.Getenv(envVar); p != "" {
		return p
	}
	if testing.Short() {
		t.Skipf("%s is not set: run eval \"$(bash hack/setup-test-env.sh)\", or go test without -short", envVar)
	}
	out, err := output(repoRoot, os.Environ(), "bash", "-c", `eval "$(bash hack/install-tools.sh)" && printf %s "${!1}"`, "-", envVar)
	if err != nil || out == "" {
		t.Fatalf("hack/install-tools.sh did not provide %s: %v", envVar, err)
	}
	return out
}

// TestGoreleaserCheck runs `goreleaser check` in a clone with no remote:
// with the repository pinned, the configuration needs none.
func TestGoreleaserCheck(t *testing.T) {
	c := checkoutFixture(t)
	goreleaser := releaseTool(t, "AIO_AUTHN_GORELEASER")
	clone := filepath.Join(t.TempDir(), "clone")
	for _, args := range [][]string{{"clone", "-q", c.dir, clone}, {"-C", clone, "remote", "remove", "origin"}} {
		if r := run(t, "", "git", args...); r.code != 0 {
			t.Fatalf("git %v: %s", args, r.stderr)
		}
	}
	r := run(t, clone, goreleaser, "check")
	if r.code != 0 {
		t.Fatalf("goreleaser check: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// archiveName is the release archive of a platform.
func archiveName(goos, goarch string) string {
	name := "kubectl-aio_authn_" + goos + "_" + goarch
	if goos == "windows" {
		return name + ".zip"
	}
	return name + ".tar.gz"
}

// TestReleaseArchives checks what each archive holds: the binary, LICENSE,
// README.md and the completions its platform's shells use, and that the
// checksums file vouches for it.
func TestReleaseArchives(t *testing.T) {
	rel := releaseFixture(t)
	completions, err := os.ReadDir(filepath.Join(repoRoot, "completions"))
	if err != nil {
		t.Fatal(err)
	}
	unix := []string{"LICENSE", "README.md", "kubectl-aio_authn"}
	for _, e := range completions {
		unix = append(unix, "completions/"+e.Name())
	}
	slices.Sort(unix)
	// Only PowerShell's: the others, kubectl_complete-aio_authn included,
	// are scripts for Unix shells.
	windows := []string{"LICENSE", "README.md", "completions/kubectl-aio_authn.ps1", "kubectl-aio_authn.exe"}
	executable := []string{"kubectl-aio_authn", "completions/kubectl_complete-aio_authn"}

	sums := readChecksums(t, rel)
	for _, name := range []string{archiveName("linux", "amd64"), archiveName("windows", "amd64")} {
		t.Run(name, func(t *testing.T) {
			path, ok := rel.assets[name]
			if !ok {
				t.Fatalf("the release has no %s", name)
			}
			entries := archiveEntries(t, path)
			got := slices.Sorted(maps.Keys(entries))
			want := unix
			if strings.HasSuffix(name, ".zip") {
				want = windows
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s holds %v, want %v", name, got, want)
			}
			if !strings.HasSuffix(name, ".zip") {
				for _, e := range executable {
					if entries[e]&0o111 == 0 {
						t.Errorf("%s: %s is not executable (mode %v)", name, e, entries[e])
					}
				}
			}
			if sums[name] != fileSHA256(t, path) {
				t.Errorf("checksums.txt says %q for %s, the file's SHA-256 is %s", sums[name], name, fileSHA256(t, path))
			}
		})
	}
}

// TestReleaseBinary runs the host's binary from its archive: the version
// and commit are the tag's.
func TestReleaseBinary(t *testing.T) {
	rel := releaseFixture(t)
	c := checkoutFixture(t)
	name := archiveName(runtime.GOOS, runtime.GOARCH)
	bin := extractBinary(t, rel.assets[name])
	r := run(t, "", bin, "version", "-o", "json")
	if r.code != 0 {
		t.Fatalf("%s from %s: exit %d: %s", filepath.Base(bin), name, r.code, r.stderr)
	}
	var info struct{ Version, Commit string }
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil {
		t.Fatalf("version -o json: %v\n%s", err, r.stdout)
	}
	if info.Version != strings.TrimPrefix(releaseTag, "v") || info.Commit != c.commit {
		t.Errorf("released binary reports version %q commit %q, want %q and %s", info.Version, info.Commit, strings.TrimPrefix(releaseTag, "v"), c.commit)
	}
}

// TestKrewManifest checks the rendered krew manifest with krew's own
// validator, and that every platform's download is the pinned repository's
// release asset of that name, with its checksum. (Installing from it is
// TestReadmeInstall's krew case.)
func TestKrewManifest(t *testing.T) {
	rel := releaseFixture(t)
	validate := releaseTool(t, "AIO_AUTHN_VALIDATE_KREW_MANIFEST")
	manifest := filepath.Join(rel.dist, "krew", "aio-authn.yaml")
	// -skip-install: its install step downloads from GitHub.
	if r := run(t, "", validate, "-manifest", manifest, "-skip-install"); r.code != 0 {
		t.Fatalf("validate-krew-manifest: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	data, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	var plugin struct {
		Spec struct {
			Version   string `json:"version"`
			Homepage  string `json:"homepage"`
			Platforms []struct {
				URI    string `json:"uri"`
				SHA256 string `json:"sha256"`
				Bin    string `json:"bin"`
			} `json:"platforms"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &plugin); err != nil {
		t.Fatal(err)
	}
	if plugin.Spec.Version != releaseTag || plugin.Spec.Homepage != pinnedRepo {
		t.Errorf("manifest version %q, homepage %q; want %s and %s", plugin.Spec.Version, plugin.Spec.Homepage, releaseTag, pinnedRepo)
	}
	archives := 0
	for name := range rel.assets {
		if strings.HasPrefix(name, "kubectl-aio_authn_") {
			archives++
		}
	}
	if len(plugin.Spec.Platforms) != archives {
		t.Errorf("the manifest has %d platforms for %d archives", len(plugin.Spec.Platforms), archives)
	}
	prefix := pinnedRepo + "/releases/download/" + releaseTag + "/"
	for _, p := range plugin.Spec.Platforms {
		name, ok := strings.CutPrefix(p.URI, prefix)
		if !ok {
			t.Errorf("platform URI %s is not a release asset of %s (the checkout's origin is %s)", p.URI, pinnedRepo, forkRemote)
			continue
		}
		path, ok := rel.assets[name]
		if !ok {
			t.Errorf("platform URI %s names no asset of the release", p.URI)
			continue
		}
		if p.SHA256 != fileSHA256(t, path) {
			t.Errorf("%s: manifest sha256 %s, file %s", name, p.SHA256, fileSHA256(t, path))
		}
	}
}

// readChecksums parses the release's checksums.txt: name to SHA-256.
func readChecksums(t *testing.T, rel *release) map[string]string {
	t.Helper()
	data, err := os.ReadFile(rel.assets["checksums.txt"])
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("checksums.txt: bad line %q", line)
		}
		sums[name] = sum
	}
	return sums
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// archiveEntries lists the files of a .tar.gz or .zip with their modes.
func archiveEntries(t *testing.T, path string) map[string]os.FileMode {
	t.Helper()
	entries := map[string]os.FileMode{}
	if strings.HasSuffix(path, ".zip") {
		z, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer z.Close()
		for _, f := range z.File {
			entries[f.Name] = f.Mode()
		}
		return entries
	}
	walkTarGz(t, path, func(h *tar.Header, _ io.Reader) { entries[h.Name] = h.FileInfo().Mode() })
	return entries
}

// extractBinary writes the kubectl-aio_authn binary of a .tar.gz archive
// into a temporary directory.
func extractBinary(t *testing.T, path string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kubectl-aio_authn")
	found := false
	walkTarGz(t, path, func(h *tar.Header, r io.Reader) {
		if h.Name != "kubectl-aio_authn" {
			return
		}
		data, err := io.ReadAll(r)
		if err == nil {
			err = os.WriteFile(bin, data, 0o755)
		}
		if err != nil {
			t.Fatal(err)
		}
		found = true
	})
	if !found {
		t.Fatalf("%s has no kubectl-aio_authn", path)
	}
	return bin
}

func walkTarGz(t *testing.T, path string, visit func(*tar.Header, io.Reader)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		visit(h, tr)
	}
}
