// Package golden compares what a test produced with a committed file (a
// "golden file") and, under -update, rewrites the file instead. Every test
// package that keeps golden files (or other files its tests generate:
// completions, docs/probe.md, pkg/pki's fixtures) takes this one flag, so
// `go test ./pkg/lint -update` is how any of them is rewritten.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files (and the other committed files tests generate) instead of comparing with them")

// Update reports whether the test run was asked to rewrite the committed
// files, for tests that write more than one golden file at a time.
func Update() bool { return *update }

// Check compares got with the file at path. Under -update it writes got to
// path instead (creating its directory), keeping the mode of a file that
// exists already.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
