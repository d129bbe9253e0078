package testpki

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// TestChain: what the helpers mint verifies as a client chain, with the
// subjects as written (control characters included: hostile tests rely on
// them reaching the certificate).
func TestChain(t *testing.T) {
	root := SelfSigned(t, Spec{Subject: "CN = Test Root, O = \x1b[31mContoso"})
	inter := root.Issue(t, Spec{Subject: "CN = Test Intermediate", Profile: pki.ProfileIntermediateCA})
	leaf := inter.Issue(t, Spec{Subject: "CN = device, OU = Devices, C = US", Key: RSAKey(0)})
	if got := pki.SubjectString(root.Cert); got != "CN = Test Root, O = \x1b[31mContoso" {
		t.Errorf("root subject %q", got)
	}
	if got := pki.SubjectString(leaf.Cert); got != "CN = device, OU = Devices, C = US" {
		t.Errorf("leaf subject %q", got)
	}
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root.Cert)
	inters.AddCert(inter.Cert)
	if _, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Error(err)
	}
	if leaf.Cert.NotAfter.After(inter.Cert.NotAfter) || !pki.IsCA(inter.Cert) || pki.IsCA(leaf.Cert) {
		t.Errorf("leaf until %s, issuer until %s", leaf.Cert.NotAfter, inter.Cert.NotAfter)
	}
}

// TestForge: Forge makes what pkg/pki refuses, here a leaf that outlives
// its issuer and has no extended key usage.
func TestForge(t *testing.T) {
	now := time.Now()
	root := SelfSigned(t, Spec{Subject: "CN = Short Root", NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)})
	leaf := Forge(t, &x509.Certificate{NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0)}, nil, root)
	if len(leaf.Cert.ExtKeyUsage) != 0 || !leaf.Cert.NotAfter.After(root.Cert.NotAfter) {
		t.Errorf("forged %+v", leaf.Cert)
	}
	if err := leaf.Cert.CheckSignatureFrom(root.Cert); err != nil {
		t.Error(err)
	}
}
