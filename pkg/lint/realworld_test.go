package lint

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// realWorldCase is one file of testdata/realworld: a manifest copied from
// public Microsoft material, with where it came from and what validate must
// say about it in its leading comments:
//
//	# expect: valid                      no errors and no warnings
//	# expect: RULE...                    the rules of its errors
//	# expect: valid; warnings: RULE...   no errors; the rules of its warnings
type realWorldCase struct {
	source, commit string
	// errors are the rules whose errors the file must give; none means
	// the file is valid.
	errors []string
	// warnings are the rules whose warnings it must give.
	warnings []string
}

var commitHash = regexp.MustCompile(`^[0-9a-f]{40}$`)

func readRealWorldCase(t *testing.T, data []byte) realWorldCase {
	t.Helper()
	var c realWorldCase
	expect := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "# ")
		if !ok {
			break
		}
		key, value, _ := strings.Cut(line, ": ")
		switch key {
		case "source":
			c.source = value
		case "commit":
			c.commit = value
		case "expect":
			expect = true
			errs, warns, _ := strings.Cut(value, "; warnings: ")
			if errs != "valid" {
				c.errors = strings.Fields(errs)
			}
			c.warnings = strings.Fields(warns)
		}
	}
	if strings.Count(c.source, " ") != 1 || !strings.Contains(c.source, "/") {
		t.Fatalf(`"# source: OWNER/REPO PATH" missing or malformed: %q`, c.source)
	}
	if !commitHash.MatchString(c.commit) {
		t.Fatalf(`"# commit: <40 hex digits>" missing or malformed: %q`, c.commit)
	}
	if !expect {
		t.Fatal(`"# expect: valid" or "# expect: RULE..." (then optionally "; warnings: RULE...") missing`)
	}
	return c
}

// TestRealWorld validates each manifest of the real-world corpus alone and
// compares the rules of its errors and warnings with the ones its header
// expects: the manifests Microsoft applies and documents must pass, with
// the warnings they deserve, and its documented mistakes must fail with the
// right rule.
func TestRealWorld(t *testing.T) {
	files, err := filepath.Glob("../../testdata/realworld/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := readRealWorldCase(t, data)
			res := Lint([]*manifest.File{manifest.Parse(filepath.Base(path), data)}, Options{Now: testNow})
			for _, sev := range []struct {
				severity Severity
				want     []string
			}{{SeverityError, want.errors}, {SeverityWarning, want.warnings}} {
				got := rulesOf(res, sev.severity)
				sort.Strings(sev.want)
				if strings.Join(got, " ") != strings.Join(sev.want, " ") {
					var buf bytes.Buffer
					_ = (&TextReporter{Styles: ui.PlainStyles()}).Report(&buf, res)
					t.Errorf("%s rules %q, want %q\n%s", sev.severity, got, sev.want, buf.String())
				}
			}
		})
	}
}

// rulesOf returns the rules of the findings of that severity, sorted, each
// once.
func rulesOf(res *Result, severity Severity) []string {
	seen := map[string]bool{}
	for _, f := range res.Findings {
		if f.Severity == severity {
			seen[f.Rule] = true
		}
	}
	rules := make([]string, 0, len(seen))
	for r := range seen {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	return rules
}
