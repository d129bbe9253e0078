package lint

import (
	"strings"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/internal/testpki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// testNow is the clock of the rule tests: certificates are made relative to
// it, so expiry findings do not depend on when the tests run.
var testNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

type certSpec struct {
	cn        string
	rsa       bool
	ca        bool
	notBefore time.Time
	notAfter  time.Time
}

// makeCert returns a self-signed certificate in PEM: a root CA when ca, else
// a client leaf; valid from a year before testNow for five years unless the
// dates are given.
func makeCert(t testing.TB, s certSpec) string {
	t.Helper()
	spec := testpki.Spec{Subject: "CN = " + s.cn, NotBefore: s.notBefore, NotAfter: s.notAfter, Profile: pki.ProfileLeaf}
	if s.rsa {
		spec.Key = testpki.RSAKey(0)
	}
	if s.ca {
		spec.Profile = pki.ProfileRootCA
	}
	if spec.NotBefore.IsZero() {
		spec.NotBefore = testNow.AddDate(-1, 0, 0)
	}
	if spec.NotAfter.IsZero() {
		spec.NotAfter = testNow.AddDate(5, 0, 0)
	}
	return testpki.SelfSigned(t, spec).PEM()
}

// literal indents a PEM for a YAML block scalar at the given indentation.
func literal(pemText string, spaces int) string {
	pad := strings.Repeat(" ", spaces)
	lines := strings.Split(strings.TrimRight(pemText, "\n"), "\n")
	return pad + strings.Join(lines, "\n"+pad)
}
