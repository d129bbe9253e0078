package testenv

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"
)

// ReadPrivateKey reads a PEM private key (PKCS #1, SEC 1 or PKCS #8) with the
// standard library alone, so that tests signing tokens and certificates
// with the tool's keys do not go through the code they check.
func ReadPrivateKey(t testing.TB, path string) crypto.Signer {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: no PEM", path)
	}
	var key any
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		t.Fatalf("%s: a %T cannot sign", path, key)
	}
	return signer
}
