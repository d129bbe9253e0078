// Package testjwt signs service account tokens for tests with golang-jwt,
// and derives key IDs and PEM public keys with the standard library: code
// that shares nothing with pkg/sat, so that neither pkg/sat nor the engine
// built on it is ever its own referee.
package testjwt

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// Sign signs claims with method and key; kid "" leaves the header without
// one. Any method golang-jwt knows may be used, none and HS256 included,
// to make the tokens a verifier must refuse.
func Sign(t testing.TB, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// KeyID is the kid kube-apiserver gives the tokens pub verifies: the
// unpadded base64url SHA-256 of its PKIX DER.
func KeyID(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// PublicPEM is pub as a PEM "PUBLIC KEY" (PKIX), the form of
// kube-apiserver's --service-account-key-file.
func PublicPEM(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
