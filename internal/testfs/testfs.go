// Package testfs sets up and checks the directory an all-or-nothing write
// (certs chain) goes into, for the tests of pkg/pki and of the binary alike.
package testfs

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Notes is the file an existing output directory holds before the write: the
// operator's own, which a failed or interrupted write must leave alone.
const Notes = "notes.txt"

// OutDir returns a new parent directory and the output directory out inside
// it. When existing, out exists already and holds Notes; otherwise it does
// not exist.
func OutDir(t testing.TB, existing bool) (parent, out string) {
	t.Helper()
	parent = t.TempDir()
	out = filepath.Join(parent, "out")
	if existing {
		if err := os.Mkdir(out, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, Notes), []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return parent, out
}

// LeftAsBefore fails t unless the directories OutDir made hold what they
// held before the write: parent nothing but out when it existed, and out
// nothing but Notes (no staging directory, no stray key).
func LeftAsBefore(t testing.TB, parent string, existing bool) {
	t.Helper()
	var want []string
	if existing {
		want = []string{"out"}
	}
	holds(t, parent, want)
	if existing {
		holds(t, filepath.Join(parent, "out"), []string{Notes})
	}
}

func holds(t testing.TB, dir string, want []string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, want) {
		t.Errorf("%s holds %d entries %v, want %v", dir, len(names), names[:min(len(names), 5)], want)
	}
}
