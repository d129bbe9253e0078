package lint

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
	"strings"
	"sync"
	"testing"
	"time"
)

// testNow is the clock of the rule tests: certificates are made relative to
// it, so expiry findings do not depend on when the tests run.
var testNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

type certSpec struct {
	cn        string
	rsa       bool
	ca        bool
	notBefore time.Time
	notAfter  time.Time
}

// makeCert returns a self-signed certificate in PEM.
func makeCert(t testing.TB, s certSpec) string {
	t.Helper()
	var key crypto.Signer
	if s.rsa {
		rsaOnce.Do(func() {
			var err error
			rsaKey, err = rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
		})
		key = rsaKey
	} else {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key = k
	}
	if s.notBefore.IsZero() {
		s.notBefore = testNow.AddDate(-1, 0, 0)
	}
	if s.notAfter.IsZero() {
		s.notAfter = testNow.AddDate(5, 0, 0)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: s.cn},
		NotBefore:             s.notBefore,
		NotAfter:              s.notAfter,
		IsCA:                  s.ca,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// literal indents a PEM for a YAML block scalar at the given indentation.
func literal(pemText string, spaces int) string {
	pad := strings.Repeat(" ", spaces)
	lines := strings.Split(strings.TrimRight(pemText, "\n"), "\n")
	return pad + strings.Join(lines, "\n"+pad)
}
