package input

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
)

var small = Kind{Name: "test file", Max: 64, Flag: "--max-test-size"}

func TestReadFileCaps(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok.txt")
	big := filepath.Join(dir, "big.txt")
	write(t, ok, strings.Repeat("a", 64))
	write(t, big, strings.Repeat("a", 65))

	if data, err := ReadFile(ok, small); err != nil || len(data) != 64 {
		t.Fatalf("ReadFile(64 bytes) = %d bytes, %v", len(data), err)
	}
	_, err := ReadFile(big, small)
	var tl *TooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("ReadFile(65 bytes) err = %v, want a *TooLargeError", err)
	}
	want := big + ": larger than 64 bytes, the cap for a test file: raise it with --max-test-size"
	if err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
	if _, err := ReadFile(dir, small); !errors.Is(err, ErrIsDir) {
		t.Errorf("ReadFile(dir) err = %v, want ErrIsDir", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), small); err == nil || !strings.HasSuffix(err.Error(), "missing: no such file or directory") {
		t.Errorf("ReadFile(missing) err = %v", err)
	}
}

func TestDevZeroIsCut(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := ReadFile("/dev/zero", small)
	var tl *TooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("ReadFile(/dev/zero) err = %v, want a *TooLargeError", err)
	}
	if _, err := ReadRegular("/dev/zero", small); !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "character device") {
		t.Fatalf("ReadRegular(/dev/zero) err = %v, want ErrNotRegular (a character device)", err)
	}
}

func TestReadStream(t *testing.T) {
	if _, err := ReadStream(strings.NewReader(strings.Repeat("x", 65)), StdinName, small); err == nil ||
		!strings.HasPrefix(err.Error(), "<stdin>: larger than 64 bytes") {
		t.Fatalf("err = %v", err)
	}
	if data, err := ReadStream(strings.NewReader("hello"), StdinName, small); err != nil || string(data) != "hello" {
		t.Fatalf("ReadStream = %q, %v", data, err)
	}
}

func TestFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := testenv.MakeFIFO(fifo); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	// Found in a file, a FIFO is refused at once, without a writer.
	done := make(chan error, 1)
	go func() { _, err := ReadRegular(fifo, small); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "a FIFO") {
			t.Fatalf("ReadRegular(fifo) err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadRegular blocked on a FIFO")
	}
	// Named directly, it is read, up to the cap.
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			f.WriteString(strings.Repeat("y", 1000))
			f.Close()
		}
	}()
	if _, err := ReadFile(fifo, small); !errors.As(err, new(*TooLargeError)) {
		t.Fatalf("ReadFile(fifo with 1000 bytes) err = %v, want a *TooLargeError", err)
	}
}

func TestLinkLoopNamedDirectly(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	symlink(t, b, a)
	symlink(t, a, b)
	_, err := ReadFile(a, small)
	if err == nil || !strings.HasSuffix(err.Error(), "a.yaml: a loop of symbolic links") {
		t.Fatalf("err = %v", err)
	}
}

func TestWalkFollowsLinksOnceAndNotesWhatItSkips(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "real")
	mustMkdir(t, filepath.Join(real, "sub"))
	mustMkdir(t, filepath.Join(real, ".git"))
	write(t, filepath.Join(real, "a.yaml"), "a: 1\n")
	write(t, filepath.Join(real, "sub", "b.yml"), "b: 1\n")
	write(t, filepath.Join(real, ".git", "c.yaml"), "c: 1\n")
	write(t, filepath.Join(real, "readme.md"), "#\n")
	symlink(t, real, filepath.Join(real, "sub", "loop"))                     // a loop back up
	symlink(t, filepath.Join(real, "a.yaml"), filepath.Join(real, "z.yaml")) // a link to a file
	symlink(t, filepath.Join(real, "gone.yaml"), filepath.Join(real, "dangling.yaml"))
	fifoOK := testenv.MakeFIFO(filepath.Join(real, "fifo.yaml")) == nil
	link := filepath.Join(root, "link")
	symlink(t, real, link)

	files, notes, err := Walk(link, func(n string) bool { return strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml") })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(link, "a.yaml"), filepath.Join(link, "sub", "b.yml"), filepath.Join(link, "z.yaml")}
	if strings.Join(files, "\n") != strings.Join(want, "\n") {
		t.Errorf("files:\n%s\nwant:\n%s", strings.Join(files, "\n"), strings.Join(want, "\n"))
	}
	var got []string
	for _, n := range notes {
		got = append(got, n.String())
	}
	all := strings.Join(got, "\n")
	for _, w := range []string{"dangling.yaml: skipped: a dangling symbolic link", "sub/loop: skipped: the same directory as " + link} {
		if !strings.Contains(all, w) {
			t.Errorf("notes lack %q:\n%s", w, all)
		}
	}
	if fifoOK && !strings.Contains(all, "fifo.yaml: skipped: not a regular file (a FIFO)") {
		t.Errorf("notes lack the FIFO:\n%s", all)
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{16 << 20: "16 MiB", 1 << 30: "1 GiB", 65535: "65535 bytes", 4096: "4 KiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}
