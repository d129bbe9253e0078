package authn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"sync/atomic"
	"testing"
	"time"
)

// Certificates for the tests are made with the standard library, so the
// engine is checked against an implementation it does not share code with.

var (
	serial atomic.Int64
	// t0 is the tests' "now": fixed, so that validity is decided by the
	// clock the engine is given, never by the machine's.
	t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	// Keys are generated once: RSA generation is slow.
	ecKeys  = []crypto.Signer{mustEC(), mustEC(), mustEC(), mustEC()}
	rsaKeys = []crypto.Signer{mustRSA(), mustRSA()}
)

func mustEC() crypto.Signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func mustRSA() crypto.Signer {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

type issued struct {
	cert *x509.Certificate
	key  crypto.Signer
}

type certSpec struct {
	subject   pkix.Name
	key       crypto.Signer
	ca        bool
	notBefore time.Time
	notAfter  time.Time
	eku       []x509.ExtKeyUsage
}

func (s certSpec) issue(t testing.TB, parent *issued) *issued {
	t.Helper()
	if s.notBefore.IsZero() {
		s.notBefore = t0.Add(-24 * time.Hour)
	}
	if s.notAfter.IsZero() {
		s.notAfter = t0.Add(365 * 24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      s.subject,
		NotBefore:    s.notBefore,
		NotAfter:     s.notAfter,
		ExtKeyUsage:  s.eku,
	}
	if s.ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		if s.eku == nil {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		}
	}
	signerCert, signerKey := tmpl, s.key
	if parent != nil {
		signerCert, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, s.key.Public(), signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &issued{cert: c, key: s.key}
}

func name(cn string, ou ...string) pkix.Name {
	return pkix.Name{CommonName: cn, OrganizationalUnit: ou, Country: []string{"US"}}
}

// testPKI is a root, an intermediate and a client leaf, all EC, as the
// docs' example chain.
type testPKI struct {
	root, intermediate, leaf *issued
}

func newTestPKI(t testing.TB) testPKI {
	root := certSpec{subject: name("Contoso Root CA Cert", "Engineering"), key: ecKeys[0], ca: true}.issue(t, nil)
	inter := certSpec{subject: name("Contoso Intermediate CA", "Engineering"), key: ecKeys[1], ca: true}.issue(t, root)
	leaf := certSpec{subject: name("smart-fan", "Devices"), key: ecKeys[2]}.issue(t, inter)
	return testPKI{root: root, intermediate: inter, leaf: leaf}
}

func pemOf(certs ...*x509.Certificate) string {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return string(out)
}
