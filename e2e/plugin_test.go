package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/internal/golden"
	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
)

// requireKubectl makes sure kubectl, which runs the plugin in these tests,
// is on PATH (under -short its absence skips the test).
func requireKubectl(t *testing.T) {
	t.Helper()
	testenv.RequireProgram(t, "kubectl")
}

func TestVersionThroughKubectl(t *testing.T) {
	requireKubectl(t)
	r := run(t, "", "kubectl", "aio-authn", "version", "-o", "json")
	if r.code != 0 {
		t.Fatalf("kubectl aio-authn version: exit %d\n%s", r.code, r.stderr)
	}
	var info struct{ Version, Commit, Date string }
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil {
		t.Fatalf("version -o json is not JSON: %v\n%s", err, r.stdout)
	}
	if info.Version != testVersion || info.Commit != "e2e" || info.Date != "2026-01-01T00:00:00Z" {
		t.Errorf("version info = %+v, want the values injected with -ldflags", info)
	}
	text := run(t, "", "kubectl", "aio-authn", "version")
	if !strings.Contains(text.stdout, testVersion) {
		t.Errorf("version text = %q, want it to name %s", text.stdout, testVersion)
	}
}

func TestHelpNamesThePlugin(t *testing.T) {
	requireKubectl(t)
	r := run(t, "", "kubectl", "aio-authn", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "kubectl aio-authn validate") {
		t.Fatalf("help should show examples as `kubectl aio-authn ...`; exit %d:\n%s", r.code, r.stdout)
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"version", "--frob"}, 2, "unknown flag: --frob"},
		{"bad output format", []string{"version", "-o", "xml"}, 2, `invalid argument "xml" for "-o, --output" flag: want one of text, json`},
		{"extra argument", []string{"version", "extra"}, 2, "unknown command"},
		{"success", []string{"version"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, "", "kubectl-aio_authn", tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.err) {
				t.Errorf("stderr = %q, want it to contain %q", r.stderr, tt.err)
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") {
				t.Errorf("stderr has a stack trace:\n%s", r.stderr)
			}
			if tt.code != 0 && strings.Count(strings.TrimSpace(r.stderr), "\n") > 2 {
				t.Errorf("a usage error should be a short message, got:\n%s", r.stderr)
			}
		})
	}
}

// TestKubectlCompletesThePlugin installs the script `completion kubectl`
// prints and asks kubectl itself to complete `kubectl aio-authn `.
func TestKubectlCompletesThePlugin(t *testing.T) {
	requireKubectl(t)
	r := run(t, "", "kubectl-aio_authn", "completion", "kubectl")
	if r.code != 0 {
		t.Fatalf("completion kubectl: exit %d: %s", r.code, r.stderr)
	}
	script := filepath.Join(binDir, "kubectl_complete-aio_authn")
	if err := os.WriteFile(script, []byte(r.stdout), 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(script)
	c := run(t, "", "kubectl", "__complete", "aio-authn", "")
	for _, want := range []string{"version", "completion"} {
		if !strings.Contains(c.stdout, want) {
			t.Errorf("kubectl __complete aio-authn: output lacks %q:\n%s", want, c.stdout)
		}
	}
}

// TestCompletionsAreCurrent checks the completion scripts committed under
// completions/ are what the binary generates now (-update rewrites them).
func TestCompletionsAreCurrent(t *testing.T) {
	files := map[string]string{
		"bash": "kubectl-aio_authn.bash", "zsh": "_kubectl-aio_authn", "fish": "kubectl-aio_authn.fish",
		"powershell": "kubectl-aio_authn.ps1", "kubectl": "kubectl_complete-aio_authn",
	}
	for shell, name := range files {
		r := run(t, "", "kubectl-aio_authn", "completion", shell)
		if r.code != 0 || r.stdout == "" {
			t.Fatalf("completion %s: exit %d: %s", shell, r.code, r.stderr)
		}
		path := filepath.Join(repoRoot, "completions", name)
		golden.Check(t, path, []byte(r.stdout))
		if golden.Update() && shell == "kubectl" {
			// kubectl runs this one as a program.
			if err := os.Chmod(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestBashCompletesTheBinary sources the committed bash completion script and
// runs the completion function bash would call for `kubectl-aio_authn ex<TAB>`
// and for a flag value, proving the script is registered for the binary's
// real name and reaches the binary's completions.
func TestBashCompletesTheBinary(t *testing.T) {
	// Cobra's bash scripts build on the bash-completion package, as users'
	// shells do; hack/install-deps.sh installs it.
	bashCompletion := testenv.RequireFile(t, "/usr/share/bash-completion/bash_completion", "bash-completion")
	script := filepath.Join(repoRoot, "completions", "kubectl-aio_authn.bash")
	complete := func(line string) []string {
		t.Helper()
		words := strings.Fields(line)
		if strings.HasSuffix(line, " ") {
			words = append(words, "")
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + w + "'"
		}
		prog := fmt.Sprintf(`source %q
source %q
complete -p kubectl-aio_authn >/dev/null || exit 9
COMP_WORDS=(%s); COMP_CWORD=%d; COMP_LINE=%q; COMP_POINT=${#COMP_LINE}
__start_kubectl-aio_authn
printf '%%s\n' "${COMPREPLY[@]}"`, bashCompletion, script, strings.Join(quoted, " "), len(words)-1, line)
		r := run(t, "", "bash", "-c", prog)
		if r.code != 0 {
			t.Fatalf("bash completion of %q: exit %d\n%s", line, r.code, r.stderr)
		}
		return strings.Fields(r.stdout)
	}
	if got := complete("kubectl-aio_authn ex"); strings.Join(got, ",") != "explain" {
		t.Errorf("completing `kubectl-aio_authn ex` = %v, want [explain]", got)
	}
	if got := strings.Join(complete("kubectl-aio_authn completion "), ","); !strings.Contains(got, "kubectl") || !strings.Contains(got, "bash") {
		t.Errorf("completing `completion ` = %v, want the shells", got)
	}
}
