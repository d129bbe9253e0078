package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/internal/testfs"
)

// TestInterruptedChainLeavesNothing interrupts `certs chain` at several
// points of a fleet's minting, into a new and into an existing directory,
// with SIGINT and SIGTERM: either the chain was complete before the signal,
// or nothing of it is left (no staging directory, no key, the existing
// directory as it was), and a rerun is not refused.
func TestInterruptedChainLeavesNothing(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("signals as on Linux")
	}
	const count = 4000
	for _, tc := range []struct {
		name     string
		existing bool
		// after is how many files the staging directory holds before the
		// signal; -1 sends it as soon as the process started.
		after int
		sig   syscall.Signal
	}{
		{"new dir, at start", false, -1, syscall.SIGINT},
		{"new dir, staging begun", false, 0, syscall.SIGINT},
		{"new dir, 200 files in", false, 200, syscall.SIGINT},
		{"new dir, 3000 files in", false, 3000, syscall.SIGTERM},
		{"existing dir, staging begun", true, 0, syscall.SIGINT},
		{"existing dir, 1000 files in", true, 1000, syscall.SIGINT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent, out := testfs.OutDir(t, tc.existing)
			cmd := exec.Command(filepath.Join(binDir, "kubectl-aio_authn"), "certs", "chain", "--out-dir", out, "--count", strconv.Itoa(count))
			cmd.Env = testEnv(t)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var err error
			exited := make(chan struct{})
			go func() { err = cmd.Wait(); close(exited) }()
			stagingIn := parent
			if tc.existing {
				stagingIn = out
			}
			if tc.after >= 0 && !waitForStaging(stagingIn, tc.after, exited) {
				t.Log("the chain was complete before the signal")
			}
			cmd.Process.Signal(tc.sig)
			select {
			case <-exited:
			case <-time.After(hostileTimeout):
				cmd.Process.Kill()
				t.Fatalf("still running %s after the signal", hostileTimeout)
			}
			if err == nil {
				// Finished first: then everything is there.
				if n := countFiles(t, out); n != 2*count+4+boolInt(tc.existing) {
					t.Fatalf("exit 0 with %d files in %s", n, out)
				}
				return
			}
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatal(err)
			}
			killed := !ee.Exited() // the signal came before the handler
			if !killed {
				if want := 128 + int(tc.sig); ee.ExitCode() != want {
					t.Errorf("exit %d, want %d", ee.ExitCode(), want)
				}
				if !strings.Contains(stderr.String(), "interrupted") || !strings.Contains(stderr.String(), "nothing was written") {
					t.Errorf("stderr: %s", stderr.String())
				}
				if strings.Contains(stderr.String(), "goroutine ") {
					t.Errorf("a stack trace:\n%s", stderr.String())
				}
			}
			testfs.LeftAsBefore(t, parent, tc.existing)
			// The rerun is not refused.
			r := run(t, "", "kubectl-aio_authn", "certs", "chain", "--out-dir", out, "--client", "thermostat")
			if r.code != 0 {
				t.Errorf("rerun: exit %d: %s", r.code, r.stderr)
			}
		})
	}
}

// waitForStaging waits until a staging directory (.out.tmp-*) in dir holds
// at least n files; false when the process exited first.
func waitForStaging(dir string, n int, exited <-chan struct{}) bool {
	deadline := time.Now().Add(hostileTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		matches, _ := filepath.Glob(filepath.Join(dir, ".out.tmp-*"))
		for _, m := range matches {
			if entries, err := os.ReadDir(m); err == nil && len(entries) >= n {
				return true
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false
}

func countFiles(t *testing.T, dir string) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
