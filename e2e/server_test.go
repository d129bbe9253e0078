package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serverWait bounds every wait for a server (to be ready, to reload, to
// stop). It is generous: the machine may be busy; a healthy server takes
// milliseconds, and the bound only keeps a broken one from hanging the run.
const serverWait = 60 * time.Second

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serverProcess is one of the tool's servers (serve broker, serve
// custom-auth) running as a script runs it: the built binary in the
// background in a directory of its own, waited for through its ready file.
type serverProcess struct {
	dir    string
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
	done   chan struct{}
	err    error
}

// startServer runs the binary with args in dir, waits until it writes
// readyFile, and decodes that file into ready. The process is killed when
// the test ends if it is still running.
func startServer(t *testing.T, dir, readyFile string, ready any, args ...string) *serverProcess {
	t.Helper()
	s := &serverProcess{dir: dir, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(filepath.Join(binDir, "kubectl-aio_authn"), args...)
	s.cmd.Dir, s.cmd.Env = dir, testEnv(t)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	deadline := time.After(serverWait)
	for {
		data, err := os.ReadFile(filepath.Join(dir, readyFile))
		if err == nil {
			if err := json.Unmarshal(data, ready); err != nil {
				t.Fatalf("%s: %v\n%s", readyFile, err, data)
			}
			return s
		}
		select {
		case <-s.done:
			t.Fatalf("%s exited (%v) before it was ready:\n%s", args[:2], s.err, s.stderr)
		case <-deadline:
			t.Fatalf("%s: no %s after %s:\n%s", args[:2], readyFile, serverWait, s.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM and returns the exit code.
func (s *serverProcess) stop(t *testing.T) int {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(serverWait):
		t.Fatalf("the server did not stop within %s of SIGTERM:\n%s", serverWait, s.stderr)
	}
	code, err := exitCode(s.err)
	if err != nil {
		t.Fatalf("the server: %v\n%s", err, s.stderr)
	}
	return code
}
