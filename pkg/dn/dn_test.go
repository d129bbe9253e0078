package dn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"
)

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"CN = Contoso Root CA Cert, OU = Engineering, C = US", "CN=Contoso Root CA Cert,OU=Engineering,C=US", true},
		{"CN = Contoso Root CA Cert, OU = Engineering, C = US", "C = US, cn = Contoso Root CA Cert, ou = Engineering", true},
		{"CN = smart-fan", "2.5.4.3 = smart-fan", true},
		{"CN = smart-fan", "CN = Smart-Fan", false},
		{"CN = smart-fan", "CN = smart-fan, O = contoso", false},
		{`CN = a\, b`, `CN="a, b"`, true},
		{`CN = a\, b`, `CN = a, CN = b`, false},
		{"CN = x + OU = y", "OU = y, CN = x", true},
	}
	for _, tt := range tests {
		a, err := Parse(tt.a)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.a, err)
		}
		b, err := Parse(tt.b)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.b, err)
		}
		if got := Equal(a, b); got != tt.want {
			t.Errorf("Equal(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{"", "CN", "XX = y", "CN = a,, OU = b"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", s)
		}
	}
}

// TestRoundTripThroughCertificate encodes a name into a certificate with
// crypto/x509 itself, not with internal/testpki: the point is that this
// package reads what the standard library writes, and pkg/pki (under
// testpki) is built on this package.
func TestRoundTripThroughCertificate(t *testing.T) {
	in, err := Parse(`CN = Contoso Root CA Cert, OU = Engineering, O = Contoso\, Ltd, C = US`)
	if err != nil {
		t.Fatal(err)
	}
	subject, err := in.PKIX()
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: subject, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FromRawSubject(cert.RawSubject)
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(in, got) {
		t.Fatalf("round trip: got %q, want %q", got, in)
	}
	if want := `CN = Contoso Root CA Cert, OU = Engineering, O = Contoso\, Ltd, C = US`; got.String() != want {
		t.Errorf("String() = %q, want %q", got.String(), want)
	}
	if cert.Subject.CommonName != "Contoso Root CA Cert" || got.CommonName() != "Contoso Root CA Cert" {
		t.Errorf("CommonName: cert %q, name %q", cert.Subject.CommonName, got.CommonName())
	}
	if s := FromPKIX(pkix.Name{CommonName: "dev", Organization: []string{"o"}}).String(); s != "CN = dev, O = o" {
		t.Errorf("FromPKIX = %q", s)
	}
}
