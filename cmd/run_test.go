package cmd

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// cmdResult is what one command line did.
type cmdResult struct {
	stdout, stderr string
	code           int
}

// runCmd runs the plugin's command line in-process, with stdin.
func runCmd(t *testing.T, stdin string, args ...string) cmdResult {
	t.Helper()
	var out, errOut bytes.Buffer
	var in io.Reader = strings.NewReader(stdin)
	code := Execute(pluginName, args, in, &out, &errOut)
	return cmdResult{stdout: out.String(), stderr: errOut.String(), code: code}
}

func (r cmdResult) mustSucceed(t *testing.T) cmdResult {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

// mustFail checks the exit code and that stderr is one "error: ..." line
// holding want.
func (r cmdResult) mustFail(t *testing.T, code int, want string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	if code == 2 && (!strings.HasPrefix(r.stderr, "error: ") || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") > 1) {
		t.Errorf("stderr is not a one-line error:\n%s", r.stderr)
	}
}
