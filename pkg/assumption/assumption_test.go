package assumption

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// heading is a heading of docs/assumptions.md that names an assumption.
var heading = regexp.MustCompile("(?m)^### .*\\(`([a-z0-9-]+)`\\)$")

// TestDocsListEveryAssumption: docs/assumptions.md explains every
// assumption of All, in the same order, and no other.
func TestDocsListEveryAssumption(t *testing.T) {
	page, err := os.ReadFile("../../docs/assumptions.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, m := range heading.FindAllStringSubmatch(string(page), -1) {
		documented = append(documented, m[1])
	}
	var ids []string
	for _, a := range All {
		ids = append(ids, a.ID)
	}
	if !slices.Equal(documented, ids) {
		t.Errorf("docs/assumptions.md explains %q\npkg/assumption lists %q", documented, ids)
	}
}

// TestSaysIsPlain: what output adds says that this is an assumption, in
// words a reader needs no tag to understand.
func TestSaysIsPlain(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range All {
		if seen[a.ID] {
			t.Errorf("%s is listed twice", a.ID)
		}
		seen[a.ID] = true
		if !strings.Contains(a.Says, "this tool assumes") || strings.ContainsAny(a.Says, "[]") {
			t.Errorf("%s says %q: want plain words with \"this tool assumes\"", a.ID, a.Says)
		}
	}
}
