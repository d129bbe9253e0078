package authn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/internal/testpki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// Certificates for the tests are minted by pkg/pki (through
// internal/testpki), as `certs chain` mints them; the engine verifies chains
// with crypto/x509, so what mints and what verifies share no code.

var (
	// t0 is the tests' "now": fixed, so that validity is decided by the
	// clock the engine is given, never by the machine's.
	t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	// Keys are generated once: RSA generation is slow.
	ecKeys  = []crypto.Signer{mustEC(), mustEC(), mustEC(), mustEC()}
	rsaKeys = []crypto.Signer{testpki.RSAKey(0), testpki.RSAKey(1)}
)

func mustEC() crypto.Signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

// certSpec is a certificate of the tests, valid from a day before t0 for a
// year unless the dates are given.
type certSpec struct {
	subject   string
	key       crypto.Signer
	ca        bool
	notBefore time.Time
	notAfter  time.Time
	// profile overrides the leaf's (clientAuth), e.g. pki.ProfileServer.
	profile pki.Profile
}

// issue mints the certificate: a root when parent is nil, else an
// intermediate (ca) or a leaf signed by parent.
func (s certSpec) issue(t testing.TB, parent *testpki.Cert) *testpki.Cert {
	t.Helper()
	spec := testpki.Spec{Subject: s.subject, Key: s.key, Profile: s.profile, NotBefore: s.notBefore, NotAfter: s.notAfter}
	if spec.NotBefore.IsZero() {
		spec.NotBefore = t0.Add(-24 * time.Hour)
	}
	if spec.NotAfter.IsZero() {
		spec.NotAfter = t0.Add(365 * 24 * time.Hour)
	}
	if parent == nil {
		return testpki.SelfSigned(t, spec)
	}
	if s.ca {
		spec.Profile = pki.ProfileIntermediateCA
	}
	return parent.Issue(t, spec)
}

// name is a subject of the tests: the CN (none when empty), the OUs, and
// C = US.
func name(cn string, ou ...string) string {
	var parts []string
	if cn != "" {
		parts = append(parts, "CN = "+cn)
	}
	for _, u := range ou {
		parts = append(parts, "OU = "+u)
	}
	return strings.Join(append(parts, "C = US"), ", ")
}

// testPKI is a root, an intermediate and a client leaf, all EC, as the
// docs' example chain.
type testPKI struct {
	root, intermediate, leaf *testpki.Cert
}

func newTestPKI(t testing.TB) testPKI {
	root := certSpec{subject: name("Contoso Root CA Cert", "Engineering"), key: ecKeys[0], ca: true}.issue(t, nil)
	inter := certSpec{subject: name("Contoso Intermediate CA", "Engineering"), key: ecKeys[1], ca: true}.issue(t, root)
	leaf := certSpec{subject: name("smart-fan", "Devices"), key: ecKeys[2]}.issue(t, inter)
	return testPKI{root: root, intermediate: inter, leaf: leaf}
}

func pemOf(certs ...*x509.Certificate) string { return string(pki.EncodeCertificates(certs...)) }
