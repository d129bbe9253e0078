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
// say about it in its leading comments.
type realWorldCase struct {
	source, commit string
	// errors are the rules whose errors the file must give; none means
	// the file is valid (warnings and notes allowed).
	errors []string
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
			if value != "valid" {
				c.errors = strings.Fields(value)
			}
		}
	}
	if strings.Count(c.source, " ") != 1 || !strings.Contains(c.source, "/") {
		t.Fatalf(`"# source: OWNER/REPO PATH" missing or malformed: %q`, c.source)
	}
	if !commitHash.MatchString(c.commit) {
		t.Fatalf(`"# commit: <40 hex digits>" missing or malformed: %q`, c.commit)
	}
	if !expect {
		t.Fatal(`"# expect: valid" or "# expect: RULE..." missing`)
	}
	return c
}

// TestRealWorld validates each manifest of the real-world corpus alone and
// compares the rules of its errors with the ones its header expects: the
// manifests Microsoft applies and documents must pass, and its documented
// mistakes must fail with the right rule.
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
			seen := map[string]bool{}
			for _, f := range res.Findings {
				if f.Severity == SeverityError {
					seen[f.Rule] = true
				}
			}
			got := make([]string, 0, len(seen))
			for r := range seen {
				got = append(got, r)
			}
			sort.Strings(got)
			sort.Strings(want.errors)
			if strings.Join(got, " ") != strings.Join(want.errors, " ") {
				var buf bytes.Buffer
				_ = (&TextReporter{Styles: ui.PlainStyles()}).Report(&buf, res)
				t.Errorf("error rules %q, want %q\n%s", got, want.errors, buf.String())
			}
		})
	}
}
