package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/internal/testenv"
)

// docCommand is one `$ ` line of a ```console block and the output the page
// shows for it.
type docCommand struct {
	file   string
	line   int
	cmd    string
	exit   int
	output []string
}

var exitComment = regexp.MustCompile(`\s+#\s*exit\s+(\d+)\s*$`)

// parseDocCommands extracts the commands of every ```console block of a
// Markdown page. Lines ending in a backslash continue on the next line.
func parseDocCommands(file string, data []byte) ([]docCommand, error) {
	blocks, err := fencedBlocks(file, data)
	if err != nil {
		return nil, err
	}
	var cmds []docCommand
	for _, b := range blocks {
		if b.lang != "console" {
			continue
		}
		var cur *docCommand
		continuing := false
		for i, line := range b.lines {
			n := b.line + i
			if continuing {
				cur.cmd += "\n" + line
				continuing = strings.HasSuffix(line, `\`)
				if !continuing {
					finishCommand(cur)
				}
				continue
			}
			if strings.HasPrefix(line, "$ ") {
				cmds = append(cmds, docCommand{file: file, line: n, cmd: strings.TrimPrefix(line, "$ ")})
				cur = &cmds[len(cmds)-1]
				continuing = strings.HasSuffix(line, `\`)
				if !continuing {
					finishCommand(cur)
				}
				continue
			}
			if cur == nil {
				return nil, fmt.Errorf("%s:%d: output before any `$ ` command in a console block", file, n)
			}
			cur.output = append(cur.output, strings.TrimRight(line, " \t"))
		}
	}
	return cmds, nil
}

func finishCommand(c *docCommand) {
	if m := exitComment.FindStringSubmatch(c.cmd); m != nil {
		c.exit, _ = strconv.Atoi(m[1])
		c.cmd = strings.TrimSuffix(c.cmd, m[0])
	}
}

// matchLines reports whether got matches want, where a want line "..."
// stands for any number of lines (including none), and "..." within a line
// for any text on that line (a time, a port the system chose).
func matchLines(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if want[0] == "..." {
		for i := 0; i <= len(got); i++ {
			if matchLines(want[1:], got[i:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && matchLine(want[0], got[0]) && matchLines(want[1:], got[1:])
}

// matchLine compares one line, where each "..." in want stands for any text.
func matchLine(want, got string) bool {
	parts := strings.Split(want, "...")
	if len(parts) == 1 {
		return want == got
	}
	if !strings.HasPrefix(got, parts[0]) {
		return false
	}
	rest := got[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(rest, p)
		if i < 0 {
			return false
		}
		rest = rest[i+len(p):]
	}
	return strings.HasSuffix(rest, parts[len(parts)-1])
}

func trimBlankTail(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// TestDocs runs every example in README.md and docs/*.md. Each page runs in a
// fresh directory of its own, where testdata links to the repository's, so a
// page's commands build on each other (mint, then import) as a reader would.
func TestDocs(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	pages = append([]string{filepath.Join(repoRoot, "README.md")}, pages...)
	found := 0
	for _, page := range pages {
		data, err := os.ReadFile(page)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(repoRoot, page)
		cmds, err := parseDocCommands(rel, data)
		if err != nil {
			t.Fatal(err)
		}
		if len(cmds) == 0 {
			continue
		}
		found += len(cmds)
		t.Run(rel, func(t *testing.T) {
			requirePrograms(t, cmds)
			dir := t.TempDir()
			if err := os.Symlink(filepath.Join(repoRoot, "testdata"), filepath.Join(dir, "testdata")); err != nil {
				t.Fatal(err)
			}
			env := testEnv(t)
			for _, c := range cmds {
				runDocCommand(t, dir, env, c)
			}
		})
	}
	if found == 0 {
		t.Fatal("no documented examples found: README.md and docs/*.md should have ```console blocks")
	}
}

// requirePrograms makes sure the programs the commands start are installed
// (under -short, a missing one skips the page): a page's curl examples need
// curl as much as its kubectl examples need kubectl.
func requirePrograms(t *testing.T, cmds []docCommand) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range cmds {
		words := strings.Fields(c.cmd)
		for len(words) > 0 && strings.Contains(words[0], "=") {
			words = words[1:] // VAR=value before the program
		}
		if len(words) == 0 || seen[words[0]] {
			continue
		}
		name := words[0]
		seen[name] = true
		if _, err := exec.LookPath(name); err == nil {
			continue
		}
		// A shell builtin or keyword needs nothing installed.
		if out, _ := exec.Command("bash", "-c", `type -t "$1"`, "-", name).Output(); len(out) > 0 {
			continue
		}
		testenv.RequireProgram(t, name)
	}
}

func runDocCommand(t *testing.T, dir string, env []string, c docCommand) {
	t.Helper()
	got, code, out := execDocCommand(t, dir, env, c)
	want := trimBlankTail(c.output)
	if code != c.exit {
		t.Errorf("%s:%d: `%s` exited %d, the page says %d\noutput:\n%s", c.file, c.line, c.cmd, code, c.exit, out)
		return
	}
	if !matchLines(want, got) {
		t.Errorf("%s:%d: `%s` printed something other than the page shows\n--- page:\n%s\n--- got:\n%s",
			c.file, c.line, c.cmd, strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}

// execDocCommand runs a page's command with bash in dir and returns its
// output (stdout and stderr together) as the page would show it, line by
// line, its exit code, and the output as it came.
func execDocCommand(t *testing.T, dir string, env []string, c docCommand) (lines []string, code int, out []byte) {
	t.Helper()
	cmd := exec.Command("bash", "-o", "pipefail", "-c", c.cmd)
	cmd.Dir = dir
	cmd.Env = env
	// A page may start a server in the background; if it keeps the
	// output open, fail instead of waiting for it for ever.
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if code, err = exitCode(err); err != nil {
		t.Fatalf("%s:%d: %s: %v", c.file, c.line, c.cmd, err)
	}
	got := trimBlankTail(strings.Split(strings.TrimRight(string(out), "\n"), "\n"))
	for i := range got {
		got[i] = strings.TrimRight(got[i], " \t")
	}
	if len(got) == 1 && got[0] == "" {
		got = nil
	}
	return got, code, out
}

func TestMatchLines(t *testing.T) {
	tests := []struct {
		want, got string
		ok        bool
	}{
		{"a|b", "a|b", true},
		{"a|...|d", "a|b|c|d", true},
		{"a|...|d", "a|d", true},
		{"a|...", "a", true},
		{"a|...|d", "a|b|c", false},
		{"a|b", "a|c", false},
		{"", "", true},
		{"a", "", false},
		{`{"time":"...","port":1}`, `{"time":"2026-01-01T00:00:00Z","port":1}`, true},
		{`{"time":"...","port":1}`, `{"time":"x","port":2}`, false},
		{"a...b...c", "a-b-c", true},
		{"a...b...c", "a-c-b", false},
		{"ab...ba", "aba", false},
	}
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, "|")
	}
	for _, tt := range tests {
		if got := matchLines(split(tt.want), split(tt.got)); got != tt.ok {
			t.Errorf("matchLines(%q, %q) = %v, want %v", tt.want, tt.got, got, tt.ok)
		}
	}
}

func TestParseDocCommands(t *testing.T) {
	page := "text\n```console\n$ kubectl aio-authn validate x.yaml  # exit 1\nx.yaml:1:1: error: bad\n...\n$ echo a \\\n  b\na b\n```\n```sh\n$ not run\n```\n"
	cmds, err := parseDocCommands("p.md", []byte(page))
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) != 2 {
		t.Fatalf("got %d commands, want 2: %+v", len(cmds), cmds)
	}
	if cmds[0].exit != 1 || cmds[0].cmd != "kubectl aio-authn validate x.yaml" || cmds[0].line != 3 || len(cmds[0].output) != 2 {
		t.Errorf("first command = %+v", cmds[0])
	}
	if cmds[1].cmd != "echo a \\\n  b" || cmds[1].exit != 0 || len(cmds[1].output) != 1 {
		t.Errorf("second command = %+v", cmds[1])
	}
}
