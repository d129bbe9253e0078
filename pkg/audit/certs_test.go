package audit

import (
	"strings"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/internal/testpki"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// now is the audits' clock in tests: certificates are made relative to it
// so that messages (which print expiry dates) are stable.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// caCert returns a self-signed certificate in PEM: a CA unless leaf, with
// an EC P-256 key unless rsaKey, valid from notBefore to notAfter.
func caCert(t testing.TB, cn string, rsaKey, leaf bool, notBefore, notAfter time.Time) string {
	t.Helper()
	s := testpki.Spec{Subject: "CN = " + cn + ", O = Contoso", NotBefore: notBefore, NotAfter: notAfter}
	if rsaKey {
		s.Key = testpki.RSAKey(0)
	}
	if leaf {
		s.Profile = pki.ProfileLeaf
	}
	return testpki.SelfSigned(t, s).PEM()
}

// certs are the certificates the seeds use, made once per test binary.
type certs struct {
	Valid, ValidRSA, Expired, Expiring, Leaf string
}

func makeCerts(t testing.TB) certs {
	year := 365 * 24 * time.Hour
	return certs{
		Valid:    caCert(t, "Contoso Root CA", false, false, now.Add(-year), now.Add(5*year)),
		ValidRSA: caCert(t, "Contoso RSA Root CA", true, false, now.Add(-year), now.Add(5*year)),
		Expired:  caCert(t, "Contoso Old Root CA", false, false, now.Add(-3*year), now.Add(-24*time.Hour)),
		Expiring: caCert(t, "Contoso Expiring Root CA", false, false, now.Add(-year), now.Add(10*24*time.Hour)),
		Leaf:     caCert(t, "smart-fan", false, true, now.Add(-year), now.Add(year)),
	}
}

// indentPEM indents a PEM block to sit under a YAML block scalar key.
func indentPEM(pem, indent string) string {
	lines := strings.Split(strings.TrimRight(pem, "\n"), "\n")
	return indent + strings.Join(lines, "\n"+indent)
}
