package cmd

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/pkg/atomicfile"
	"github.com/aio-authn/kubectl-aio-authn/pkg/authn/explain"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/kube"
)

func TestExitCodeTable(t *testing.T) {
	forbidden := &kube.ClusterError{Action: "list x", Cause: "no", Kind: kube.Forbidden}
	for _, tc := range []struct {
		name  string
		err   error
		code  int
		print bool
	}{
		{"success", nil, 0, false},
		{"a flag", usagef("--output %q: no", "x"), 2, true},
		{"an unreadable file", &input.Error{Path: "f", Err: fs.ErrNotExist}, 2, true},
		{"a case explain cannot run", &explain.InputError{Msg: "--listener requires --port"}, 2, true},
		{"a file in the way", fmt.Errorf("minting: %w", &atomicfile.ExistsError{Path: "k.pem"}), 2, true},
		{"no kubeconfig", &kube.ConfigError{Msg: "no cluster configured"}, 2, true},
		{"a missing namespace", &kube.ClusterError{Kind: kube.Rejected}, 2, true},
		{"unreachable", &kube.ClusterError{Kind: kube.Unreachable}, 3, true},
		{"unauthorized", &kube.ClusterError{Kind: kube.Unauthorized}, 3, true},
		{"forbidden", forbidden, 3, true},
		{"forbidden, wrapped", fmt.Errorf("reading: %w", forbidden), 3, true},
		// A cluster that cannot be asked outranks what a command
		// thought of the error.
		{"forbidden, marked as usage", usage(forbidden), 3, true},
		{"5xx", &kube.ClusterError{Kind: kube.Unavailable}, 3, true},
		{"findings", verdictFindings, 1, false},
		{"undecided", verdictUndecided, 3, false},
		{"a batch line not explained", verdictUnexplained, 2, false},
		{"SIGINT", &interrupted{signal: syscall.SIGINT, what: "nothing was written"}, 130, true},
		{"SIGTERM", &interrupted{signal: syscall.SIGTERM, what: "nothing was written"}, 143, true},
		{"the tool itself", errors.New("write /dev/stdout: broken pipe"), 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, print := exitCode(tc.err)
			if code != tc.code || print != tc.print {
				t.Errorf("exitCode(%v) = %d, %v; want %d, %v", tc.err, code, print, tc.code, tc.print)
			}
		})
	}
}

func TestBatchVerdictIsTheWorstLine(t *testing.T) {
	for _, tc := range []struct {
		res  explain.BatchResult
		code int
	}{
		{explain.BatchResult{}, 0},
		{explain.BatchResult{Granted: 3}, 0},
		{explain.BatchResult{Granted: 3, Denied: 1}, 1},
		{explain.BatchResult{Denied: 1, Indeterminate: 1}, 3},
		{explain.BatchResult{Denied: 1, Indeterminate: 1, Unexplained: 1}, 2},
	} {
		if code, _ := exitCode(batchVerdict(tc.res)); code != tc.code {
			t.Errorf("%+v: exit %d, want %d", tc.res, code, tc.code)
		}
	}
}

// TestExitCodesDocumented: every row of the table is a row of
// docs/exit-codes.md, in the same words, and the page has no other.
func TestExitCodesDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "exit-codes.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The rows of the table headed "| Exit | When |".
	var documented []string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case line == "| Exit | When |":
			in = true
		case in && strings.HasPrefix(line, "| --"):
		case in && strings.HasPrefix(line, "| "):
			documented = append(documented, line)
		default:
			in = false
		}
	}
	var want []string
	for _, row := range exitCodes {
		code := strconv.Itoa(row.code)
		if row.signal {
			code += " + n"
		}
		want = append(want, "| "+code+" | "+row.what+" |")
	}
	want = append(want, "| 1 | "+toolFailure+" |")
	if strings.Join(documented, "\n") != strings.Join(want, "\n") {
		t.Errorf("docs/exit-codes.md's table differs from cmd/exit.go's; it should read:\n%s", strings.Join(want, "\n"))
	}
}

// TestOnlyTheCommandLayerChoosesExitCodes: no package besides cmd imports
// the exit codes; the others return typed errors and results.
func TestOnlyTheCommandLayerChoosesExitCodes(t *testing.T) {
	for _, dir := range []string{"../pkg", "../internal"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
				strings.Contains(path, filepath.Join("pkg", "exitcode")) {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			for _, imp := range f.Imports {
				if strings.HasSuffix(imp.Path.Value, `/pkg/exitcode"`) {
					t.Errorf("%s imports pkg/exitcode: return a typed error or result, and map it in cmd/exit.go", path)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
