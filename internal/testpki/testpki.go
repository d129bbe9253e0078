// Package testpki mints the certificates tests need with pkg/pki, the code
// `certs chain` and `certs create` mint with, so that tests present the
// certificates users make. Forge is the one way to make what pkg/pki refuses
// to mint (a leaf without extended key usage, one that outlives its issuer),
// for tests of how such certificates are judged.
package testpki

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/dn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// Cert is a minted certificate and its private key.
type Cert struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// PEM is the certificate in PEM.
func (c *Cert) PEM() string { return string(pki.EncodeCertificates(c.Cert)) }

// Spec describes a certificate. Zero fields take defaults.
type Spec struct {
	// Subject is written as the docs write one ("CN = smart-fan, OU =
	// Devices, C = US") and encoded in that order.
	Subject string
	// Profile defaults to pki.ProfileRootCA for SelfSigned and to
	// pki.ProfileLeaf (clientAuth) for Issue.
	Profile pki.Profile
	// Key is the certificate's key: a new EC P-256 key when nil (RSAKey
	// gives a shared RSA one).
	Key crypto.Signer
	// NotBefore defaults to an hour ago, NotAfter to a year after
	// NotBefore, or to the issuer's NotAfter for Issue.
	NotBefore, NotAfter time.Time
	SANs                []string
}

// minter is shared: it caches each profile's template, as certs chain's does.
var minter pki.Minter

func (s Spec) request(t testing.TB, profile pki.Profile) (pki.Request, crypto.Signer) {
	t.Helper()
	if s.Profile == "" {
		s.Profile = profile
	}
	subject, err := dn.Parse(s.Subject)
	if err != nil {
		t.Fatalf("subject %q: %v", s.Subject, err)
	}
	if s.Key == nil {
		if s.Key, err = pki.DefaultKeySpec.Generate(); err != nil {
			t.Fatal(err)
		}
	}
	if s.NotBefore.IsZero() {
		s.NotBefore = time.Now().Add(-time.Hour)
	}
	if s.NotAfter.IsZero() {
		s.NotAfter = s.NotBefore.AddDate(1, 0, 0)
	}
	return pki.Request{Profile: s.Profile, Subject: subject, SANs: s.SANs, NotBefore: s.NotBefore, NotAfter: s.NotAfter}, s.Key
}

// SelfSigned mints a self-signed certificate: a root CA unless s.Profile
// says otherwise.
func SelfSigned(t testing.TB, s Spec) *Cert {
	t.Helper()
	req, key := s.request(t, pki.ProfileRootCA)
	c, err := minter.SelfSign(req, key)
	if err != nil {
		t.Fatal(err)
	}
	return &Cert{Cert: c, Key: key}
}

// Issue mints a certificate signed by ca: a client leaf unless s.Profile
// says otherwise.
func (ca *Cert) Issue(t testing.TB, s Spec) *Cert {
	t.Helper()
	if s.NotAfter.IsZero() {
		s.NotAfter = ca.Cert.NotAfter
	}
	req, key := s.request(t, pki.ProfileLeaf)
	c, err := minter.Issue(req, key.Public(), &pki.CA{Certificate: ca.Cert, Key: ca.Key})
	if err != nil {
		t.Fatal(err)
	}
	return &Cert{Cert: c, Key: key}
}

var serial atomic.Int64

// Forge signs tmpl with parent (self-signed when parent is nil) using the
// standard library alone, for the certificates pkg/pki refuses to mint. A
// zero serial number is replaced by a fresh one; key defaults to a new EC
// P-256 key.
func Forge(t testing.TB, tmpl *x509.Certificate, key crypto.Signer, parent *Cert) *Cert {
	t.Helper()
	if key == nil {
		var err error
		if key, err = pki.DefaultKeySpec.Generate(); err != nil {
			t.Fatal(err)
		}
	}
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = big.NewInt(serial.Add(1))
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, key.Public(), signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &Cert{Cert: c, Key: key}
}

var (
	rsaMu   sync.Mutex
	rsaKeys []crypto.Signer
)

// RSAKey returns the i-th of a set of 2048-bit RSA keys made once per test
// binary: RSA generation is slow, and tests need only distinct keys.
func RSAKey(i int) crypto.Signer {
	rsaMu.Lock()
	defer rsaMu.Unlock()
	for len(rsaKeys) <= i {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		rsaKeys = append(rsaKeys, k)
	}
	return rsaKeys[i]
}
