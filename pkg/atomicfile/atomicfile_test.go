package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestWriteAllOrNothing: without overwrite, a file in the way stops the
// whole write, and nothing of it is left: no key without its certificate,
// no temporary file.
func TestWriteAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	key, cert := filepath.Join(dir, "k.pem"), filepath.Join(dir, "c.pem")
	if err := os.WriteFile(cert, []byte("theirs"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Write([]File{{Path: key, Data: []byte("k"), Perm: 0o600}, {Path: cert, Data: []byte("c"), Perm: 0o644}}, false)
	var exists *ExistsError
	if !errors.As(err, &exists) || exists.Path != cert {
		t.Fatalf("err = %v, want *ExistsError for %s", err, cert)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files left, want only the one that was there (no key, no temporary file)", len(entries))
	}
	if got, _ := os.ReadFile(cert); string(got) != "theirs" {
		t.Errorf("their file now holds %q", got)
	}
}

// TestWriteOverwrite: with overwrite the files are replaced, with the new
// mode, and nothing else is left in the directory.
func TestWriteOverwrite(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k.pem")
	if err := os.WriteFile(key, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(key, []byte("new"), 0o600, true); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(key)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(key); string(got) != "new" {
		t.Errorf("holds %q", got)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary file left behind: %v", entries)
	}
}

func TestReplaceKeepsModeAndLinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes and symbolic links as on Unix")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "authn.yaml")
	if err := os.WriteFile(target, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	// A mode the umask would strip from a new file is kept exactly.
	if err := os.Chmod(target, 0o666); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink("authn.yaml", link); err != nil {
		t.Fatal(err)
	}
	if err := Replace(link, []byte("new\n")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(target)
	if err != nil || string(got) != "new\n" {
		t.Fatalf("target holds %q, %v", got, err)
	}
	info, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o666 {
		t.Errorf("mode %v, want 0666", info.Mode().Perm())
	}
	if l, err := os.Lstat(link); err != nil || l.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a file: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temporary file left behind: %v", entries)
	}
	if err := Replace(filepath.Join(dir, "missing.yaml"), []byte("x")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("replacing a file that does not exist: %v", err)
	}
	if err := Replace(dir, []byte("x")); err == nil {
		t.Error("replaced a directory")
	}
}

func TestCheckFree(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	if err := CheckFree([]string{a, b, c}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{b, c} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err := CheckFree([]string{a, b, c})
	want := b + " already exists (and 1 more file): pass --force to overwrite, or write somewhere else"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}
