package e2e

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
)

// The manifests the CI recipes and the pre-commit hook check: one clean, one
// with a warning only (a port without authentication), one with an error.
var ciManifests = map[string]string{
	"deploy/authn.yaml": `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata:
  name: default
  namespace: azure-iot-operations
spec:
  authenticationMethods:
  - method: ServiceAccountToken
    serviceAccountTokenSettings:
      audiences: [aio-internal]
`,
	"deploy/open-listener.yaml": `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerListener
metadata:
  name: open
  namespace: azure-iot-operations
spec:
  serviceName: aio-broker-open
  serviceType: ClusterIp
  ports:
  - port: 1883
`,
	"deploy/bad.yaml": `apiVersion: mqttbroker.iotoperations.azure.com/v1
kind: BrokerAuthentication
metadata:
  name: typo
  namespace: azure-iot-operations
spec:
  authenticationMethods:
  - method: ServiceAcountToken
`,
}

// badLine is where bad.yaml's error is: the misspelt method.
const badLine = 8

// writeManifests writes the named ciManifests under dir.
func writeManifests(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(ciManifests[name]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// ciBlock returns the only ```lang block under a heading of docs/ci.md.
func ciBlock(t *testing.T, section, lang string) fencedBlock {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "docs", "ci.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := fencedBlocks("docs/ci.md", data)
	if err != nil {
		t.Fatal(err)
	}
	found := sectionBlocks(blocks, section, lang)
	if len(found) != 1 {
		t.Fatalf("docs/ci.md: want one ```%s block under %q, found %d", lang, section, len(found))
	}
	return found[0]
}

// redirect is the file a shell command line sends its standard output to.
var redirect = regexp.MustCompile(`>\s*(\S+)\s*$`)

// TestCIGitHubActions runs the GitHub Actions job of docs/ci.md the way a
// runner would: its run steps in order, in bash, with RUNNER_TEMP and
// GITHUB_PATH, against the release the tests cut. The validate step must
// fail on the bad manifest and leave a SARIF log that code scanning places
// on the file's line; the upload step must still run and upload that file.
func TestCIGitHubActions(t *testing.T) {
	rel := releaseFixture(t)
	block := ciBlock(t, "GitHub Actions", "yaml")
	var workflow struct {
		Jobs map[string]struct {
			RunsOn      string            `json:"runs-on"`
			Permissions map[string]string `json:"permissions"`
			Steps       []struct {
				Name string            `json:"name"`
				Uses string            `json:"uses"`
				Run  string            `json:"run"`
				If   string            `json:"if"`
				With map[string]string `json:"with"`
			} `json:"steps"`
		} `json:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(block.text()), &workflow); err != nil {
		t.Fatalf("docs/ci.md:%d: %v", block.line, err)
	}
	if len(workflow.Jobs) != 1 {
		t.Fatalf("docs/ci.md:%d: want one job, got %d", block.line, len(workflow.Jobs))
	}
	for _, job := range workflow.Jobs {
		if job.RunsOn != "ubuntu-latest" {
			t.Errorf("runs-on %q: the job downloads the linux/amd64 archive", job.RunsOn)
		}
		if job.Permissions["security-events"] != "write" {
			t.Errorf("permissions %v: uploading SARIF needs security-events: write", job.Permissions)
		}

		d := serveReleaseDownloads(t, rel)
		home, workspace, runnerTemp := t.TempDir(), t.TempDir(), t.TempDir()
		writeManifests(t, workspace, "deploy/authn.yaml", "deploy/bad.yaml")
		githubPath := filepath.Join(t.TempDir(), "github_path")
		failed, sarif := false, ""
		for _, step := range job.Steps {
			name := step.Name
			if name == "" {
				name = step.Uses
			}
			// A step runs after a failed one only with a status function
			// in its condition.
			if failed && !strings.Contains(step.If, "always()") && !strings.Contains(step.If, "!cancelled()") {
				t.Errorf("step %q would not run after the validate step fails", name)
				continue
			}
			switch {
			case strings.HasPrefix(step.Uses, "actions/checkout@"):
				// The workspace holds the manifests already.
			case strings.HasPrefix(step.Uses, "github/codeql-action/upload-sarif@"):
				if sarif == "" || step.With["sarif_file"] != sarif {
					t.Errorf("upload-sarif uploads %q, the validate step writes %q", step.With["sarif_file"], sarif)
				}
			case step.Run != "":
				// GITHUB_PATH lines go in front of PATH for later steps.
				var added []string
				if data, err := os.ReadFile(githubPath); err == nil {
					added = strings.Fields(string(data))
				}
				env := setEnv(commandEnv(home, added...), d.env...)
				env = append(env, "RUNNER_TEMP="+runnerTemp, "GITHUB_PATH="+githubPath, "GITHUB_WORKSPACE="+workspace)
				r := runEnv(t, workspace, env, "bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step.Run)
				if strings.Contains(step.Run, "validate") {
					if r.code != 1 {
						t.Fatalf("step %q: exit %d, want 1 (an error in deploy/bad.yaml)\n%s", name, r.code, r.stderr)
					}
					failed = true
					m := redirect.FindStringSubmatch(step.Run)
					if m == nil {
						t.Fatalf("step %q does not write its SARIF to a file", name)
					}
					sarif = m[1]
					checkSARIF(t, filepath.Join(workspace, sarif))
				} else if r.code != 0 {
					t.Fatalf("step %q: exit %d\n%s%s", name, r.code, r.stdout, r.stderr)
				}
			default:
				t.Errorf("step %q: nothing this test knows how to run", name)
			}
		}
		if !failed {
			t.Error("no step ran validate")
		}
	}
}

// checkSARIF checks a SARIF log has the error of deploy/bad.yaml at its
// line, under the path relative to the repository that code scanning needs.
func checkSARIF(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatalf("%s is not JSON: %v", path, err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("SARIF version %q with %d runs, want 2.1.0 and one run", log.Version, len(log.Runs))
	}
	for _, r := range log.Runs[0].Results {
		for _, l := range r.Locations {
			if l.PhysicalLocation.ArtifactLocation.URI == "deploy/bad.yaml" && l.PhysicalLocation.Region.StartLine == badLine && r.Level == "error" {
				return
			}
		}
	}
	t.Errorf("the SARIF log has no error at deploy/bad.yaml:%d:\n%s", badLine, data)
}

// TestCIGitLab runs the GitLab job of docs/ci.md's script as the runner
// would (one shell, stopping at the first failure), installing with
// `go install` from the module proxy the tests serve. The JUnit report it
// names must hold the failure of deploy/bad.yaml, and be kept when the job
// fails.
func TestCIGitLab(t *testing.T) {
	p := goProxyFixture(t)
	block := ciBlock(t, "GitLab CI", "yaml")
	var jobs map[string]struct {
		Image     string   `json:"image"`
		Script    []string `json:"script"`
		Artifacts struct {
			When    string `json:"when"`
			Reports struct {
				JUnit string `json:"junit"`
			} `json:"reports"`
		} `json:"artifacts"`
	}
	if err := yaml.Unmarshal([]byte(block.text()), &jobs); err != nil {
		t.Fatalf("docs/ci.md:%d: %v", block.line, err)
	}
	if len(jobs) != 1 {
		t.Fatalf("docs/ci.md:%d: want one job, got %d", block.line, len(jobs))
	}
	for name, job := range jobs {
		if job.Artifacts.When != "always" {
			t.Errorf("job %s: artifacts.when = %q: the report of a failed job would be lost", name, job.Artifacts.When)
		}
		var report string
		for _, line := range job.Script {
			if m := redirect.FindStringSubmatch(line); m != nil && strings.Contains(line, "-o junit") {
				report = m[1]
			}
		}
		if report == "" || job.Artifacts.Reports.JUnit != report {
			t.Errorf("job %s: reports.junit = %q, the script writes %q", name, job.Artifacts.Reports.JUnit, report)
		}

		// The golang image has GOPATH/bin on PATH.
		home, workspace := t.TempDir(), t.TempDir()
		gobin := filepath.Join(home, "go", "bin")
		writeManifests(t, workspace, "deploy/authn.yaml", "deploy/bad.yaml")
		env := p.env(commandEnv(home, gobin), gobin)
		r := runEnv(t, workspace, env, "bash", "-eo", "pipefail", "-c", strings.Join(job.Script, "\n"))
		if r.code != 1 {
			t.Fatalf("job %s: exit %d, want 1 (an error in deploy/bad.yaml)\n%s%s", name, r.code, r.stdout, r.stderr)
		}
		if report != "" {
			checkJUnit(t, filepath.Join(workspace, report))
		}
	}
}

// checkJUnit checks a JUnit report fails deploy/bad.yaml and only it.
func checkJUnit(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var report struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Failures int    `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &report); err != nil {
		t.Fatalf("%s is not XML: %v", path, err)
	}
	failed := map[string]int{}
	for _, s := range report.Suites {
		failed[s.Name] = s.Failures
	}
	if len(failed) != 2 || failed["deploy/bad.yaml"] == 0 || failed["deploy/authn.yaml"] != 0 {
		t.Errorf("JUnit suites and failures %v, want deploy/bad.yaml failed and deploy/authn.yaml passed:\n%s", failed, data)
	}
}

// TestCIShellStep runs docs/ci.md's shell step against the release the
// tests cut: it downloads and checks the archive and passes on clean
// manifests, then fails, with --strict, on a warning.
func TestCIShellStep(t *testing.T) {
	rel := releaseFixture(t)
	block := ciBlock(t, "Any other CI: a shell step", "sh")
	d := serveReleaseDownloads(t, rel)
	home, workspace := t.TempDir(), t.TempDir()
	env := setEnv(commandEnv(home), d.env...)

	writeManifests(t, workspace, "deploy/authn.yaml")
	r := runEnv(t, workspace, env, "sh", "-c", block.text())
	if r.code != 0 {
		t.Fatalf("docs/ci.md:%d: the shell step exited %d on clean manifests\n%s%s", block.line, r.code, r.stdout, r.stderr)
	}
	writeManifests(t, workspace, "deploy/open-listener.yaml")
	r = runEnv(t, workspace, env, "sh", "-c", block.text())
	if r.code != 1 || !strings.Contains(r.stdout, "deploy/open-listener.yaml:") {
		t.Fatalf("docs/ci.md:%d: the shell step exited %d, want 1 for the listener without authentication\n%s%s", block.line, r.code, r.stdout, r.stderr)
	}
}

// TestPreCommitHook runs docs/ci.md's pre-commit configuration, pointed at
// the checkout fixture instead of GitHub, in a repository of manifests:
// pre-commit builds the hook from .pre-commit-hooks.yaml, and the hook fails
// on the bad manifest, passes the others and the unrelated YAML around them,
// and its strict twin fails on a warning.
func TestPreCommitHook(t *testing.T) {
	testenv.RequireProgram(t, "pre-commit")
	c := checkoutFixture(t)
	block := ciBlock(t, "pre-commit", "yaml")
	var cfg struct {
		Repos []struct {
			Repo string `json:"repo"`
			Rev  string `json:"rev"`
		} `json:"repos"`
	}
	if err := yaml.Unmarshal([]byte(block.text()), &cfg); err != nil {
		t.Fatalf("docs/ci.md:%d: %v", block.line, err)
	}
	if len(cfg.Repos) != 1 || cfg.Repos[0].Repo != pinnedRepo || cfg.Repos[0].Rev != releaseTag {
		t.Fatalf("docs/ci.md:%d: want one repo, %s at %s (the tag the test gives the checkout), got %+v", block.line, pinnedRepo, releaseTag, cfg.Repos)
	}
	config := strings.Replace(block.text(), "repo: "+pinnedRepo, "repo: "+c.dir, 1)
	strict := strings.Replace(config, "id: aio-authn-validate\n", "id: aio-authn-validate-strict\n", 1)

	repo := t.TempDir()
	writeManifests(t, repo, "deploy/authn.yaml", "deploy/open-listener.yaml", "deploy/bad.yaml")
	for name, data := range map[string]string{".pre-commit-config.yaml": config, "strict.yaml": strict} {
		if err := os.WriteFile(filepath.Join(repo, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	home := t.TempDir()
	env := commandEnv(home)
	if err := commitAll(repo, env, "manifests"); err != nil {
		t.Fatal(err)
	}
	preCommit := func(args ...string) result {
		t.Helper()
		return runEnv(t, repo, env, "pre-commit", args...)
	}

	r := preCommit("run", "--all-files")
	if r.code != 1 || !strings.Contains(r.stdout, fmt.Sprintf("deploy/bad.yaml:%d:", badLine)) {
		t.Fatalf("pre-commit run --all-files: exit %d, want 1 and the error of deploy/bad.yaml\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Count(r.stdout, ": error: ") != 1 {
		t.Errorf("only deploy/bad.yaml has an error:\n%s", r.stdout)
	}
	r = preCommit("run", "--files", "deploy/authn.yaml", "deploy/open-listener.yaml", ".pre-commit-config.yaml")
	if r.code != 0 {
		t.Errorf("pre-commit on the good files: exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = preCommit("run", "--config", "strict.yaml", "--files", "deploy/authn.yaml", "deploy/open-listener.yaml")
	if r.code != 1 || !strings.Contains(r.stdout, "deploy/open-listener.yaml:") {
		t.Errorf("the strict hook on a warning: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestCIDocFlags keeps docs/ci.md and .pre-commit-hooks.yaml in step with
// `validate --help`: every long flag they name is one validate has (or one
// of the few other programs' the recipes use), and every `-o` format one it
// lists.
func TestCIDocFlags(t *testing.T) {
	help := run(t, "", "kubectl-aio_authn", "validate", "--help")
	if help.code != 0 {
		t.Fatalf("validate --help: exit %d", help.code)
	}
	others := map[string]string{
		"--check": "sha256sum", "--ignore-missing": "sha256sum", "--all-files": "pre-commit",
	}
	formats := regexp.MustCompile(`(?m)^\s+-o, --output \w+\s+output format: (.*?)(?: \(default|$)`).FindStringSubmatch(help.stdout)
	if formats == nil {
		t.Fatalf("validate --help lists no -o formats:\n%s", help.stdout)
	}
	longFlag := regexp.MustCompile(`--[a-z][a-z0-9-]*`)
	output := regexp.MustCompile(`-o (\w+)`)
	for _, file := range []string{"docs/ci.md", ".pre-commit-hooks.yaml"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, flag := range longFlag.FindAllString(string(data), -1) {
			if others[flag] != "" {
				continue
			}
			if !regexp.MustCompile(`(?m)^\s+(?:-\w, )?` + flag + `\b`).MatchString(help.stdout) {
				t.Errorf("%s names %s, which validate --help does not list", file, flag)
			}
		}
		for _, m := range output.FindAllStringSubmatch(string(data), -1) {
			if !slices.Contains(strings.Split(formats[1], ", "), m[1]) {
				t.Errorf("%s uses -o %s; validate --help lists %s", file, m[1], formats[1])
			}
		}
	}
}
