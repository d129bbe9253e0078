package testenv

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// Shared is one control plane for all the tests of a package, started by the
// first test that asks for it and stopped from TestMain:
//
//	var cluster = testenv.Shared{Setup: testenv.CRDSetup(crds.YAML())}
//
//	func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		cp := cluster.Get(t)
//		...
//	}
//
// Running only tests that need no cluster starts nothing. Tests sharing it
// should use their own namespaces and names. The zero value is ready to use.
type Shared struct {
	// Setup, when set, runs once on the new control plane before any test
	// gets it (installing CRDs, say). If it fails, every test that asks for
	// the control plane fails with its error.
	Setup func(*ControlPlane) error

	once sync.Once
	cp   *ControlPlane
	err  error
}

// Get returns the shared control plane, starting it on first use. If it
// could not be started, every caller is skipped (binaries missing, under
// -short) or failed, as with Start.
func (s *Shared) Get(t testing.TB) *ControlPlane {
	t.Helper()
	s.once.Do(func() {
		s.cp, s.err = StartMain()
		if s.err == nil && s.Setup != nil {
			if err := s.Setup(s.cp); err != nil {
				s.err = fmt.Errorf("setting up the test control plane: %w", err)
			}
		}
	})
	if s.err != nil {
		skipOrFail(t, s.err)
	}
	return s.cp
}

// Main runs the package's tests, then stops the control plane; a failure to
// stop it fails the run. Use it as TestMain's os.Exit(cluster.Main(m)).
func (s *Shared) Main(m *testing.M) int {
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping test control plane:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// CRDSetup returns a Setup that installs the given CRDs and waits until they
// are established.
func CRDSetup(crdYAML [][]byte) func(*ControlPlane) error {
	return func(cp *ControlPlane) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return cp.InstallCRDs(ctx, crdYAML)
	}
}

// Stop stops the control plane if one was started. Call it from TestMain
// after m.Run.
func (s *Shared) Stop() error {
	s.once.Do(func() {}) // nothing may start after Stop
	if s.cp == nil {
		return nil
	}
	return s.cp.Stop()
}
