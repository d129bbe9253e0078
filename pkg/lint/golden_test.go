package lint

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/internal/golden"
	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// goldenNow is the clock of the example manifests under testdata/validate
// (docs/validate.md passes the same time with --now).
var goldenNow = testNow

// TestExamples checks every example manifest under the repository's
// testdata/validate against the expected findings beside it (NAME.golden:
// the -o json output for that file alone), kubectl-validate style.
func TestExamples(t *testing.T) {
	t.Chdir("../..")
	files, err := filepath.Glob("testdata/validate/*/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, path := range files {
		t.Run(path, func(t *testing.T) {
			read, err := readFiles(path)
			if err != nil {
				t.Fatal(err)
			}
			res := Lint(read, Options{Now: goldenNow})
			var buf bytes.Buffer
			if err := (JSONReporter{}).Report(&buf, res); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, strings.TrimSuffix(path, ".yaml")+".golden", buf.Bytes())
			good := strings.Contains(path, "/good/")
			if good && len(res.Findings) > 0 {
				t.Errorf("a good example has findings: %+v", res.Findings)
			}
			if !good && !res.Failed() {
				t.Errorf("a bad example has no error")
			}
		})
	}
}

// TestReporters renders the findings of every example in each format and
// compares with pkg/lint/testdata/report.FORMAT.golden.
func TestReporters(t *testing.T) {
	t.Chdir("../..")
	read, err := readFiles("testdata/validate")
	if err != nil {
		t.Fatal(err)
	}
	res := Lint(read, Options{Now: goldenNow})
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			r, err := NewReporter(format, ReportOptions{Version: "v0.0.0-test"})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := r.Report(&buf, res); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("pkg/lint/testdata", "report."+format+".golden"), buf.Bytes())
		})
	}
	if _, err := NewReporter("yaml", ReportOptions{}); err == nil {
		t.Error("unknown format accepted")
	}
}

// TestRulesDocumented keeps docs/validate.md's rule table in step with the
// rule table here.
func TestRulesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/validate.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules {
		if !strings.Contains(string(doc), "| `"+r.ID+"` |") {
			t.Errorf("docs/validate.md does not list rule %s", r.ID)
		}
	}
}

// readFiles reads and parses the manifests under path.
func readFiles(path string) ([]*manifest.File, error) {
	sources, _, err := manifest.ReadAll([]string{path}, nil, manifest.Limits{})
	if err != nil {
		return nil, err
	}
	files := make([]*manifest.File, len(sources))
	for i, s := range sources {
		files[i] = manifest.Parse(s.Path, s.Data)
	}
	return files, nil
}
