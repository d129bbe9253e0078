package ui

import (
	"os/exec"
	"runtime"
	"testing"
)

// TestShellQuote hands each quoted word to a real shell, which must give the
// word back as it was.
func TestShellQuote(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX shell quoting")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	for _, s := range []string{
		"certs/client_ca.pem", "a=b,c:d@e+f", "", "my file.yaml", "it's", "'", `"$HOME"`, "$(rm -rf /)", "`id`",
		"a;b", "a&b|c", "*.yaml", "~/x", "tab\there", "line\nbreak", "back\\slash", "ünïcode", "-", "!",
	} {
		q := ShellQuote(s)
		out, err := exec.Command(sh, "-c", "printf %s "+q).Output()
		if err != nil {
			t.Fatalf("sh -c 'printf %%s %s': %v", q, err)
		}
		if string(out) != s {
			t.Errorf("ShellQuote(%q) = %s, which the shell reads as %q", s, q, out)
		}
	}
	for s, want := range map[string]string{"certs/ca.pem": "certs/ca.pem", "my file": "'my file'", "": "''", "it's": `'it'\''s'`} {
		if got := ShellQuote(s); got != want {
			t.Errorf("ShellQuote(%q) = %s, want %s", s, got, want)
		}
	}
}
