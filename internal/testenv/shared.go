package testenv

import (
	"sync"
	"testing"
)

// Shared is one control plane for all the tests of a package, started by the
// first test that asks for it and stopped from TestMain:
//
//	var cluster testenv.Shared
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		cluster.Stop()
//		os.Exit(code)
//	}
//
//	func TestSomething(t *testing.T) {
//		cp := cluster.Get(t)
//		...
//	}
//
// Running only tests that need no cluster starts nothing. Tests sharing it
// should use their own namespaces and names. The zero value is ready to use.
type Shared struct {
	once sync.Once
	cp   *ControlPlane
	err  error
}

// Get returns the shared control plane, starting it on first use. If it
// could not be started, every caller is skipped (binaries missing, under
// -short) or failed, as with Start.
func (s *Shared) Get(t testing.TB) *ControlPlane {
	t.Helper()
	s.once.Do(func() { s.cp, s.err = StartMain() })
	if s.err != nil {
		skipOrFail(t, s.err)
	}
	return s.cp
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
