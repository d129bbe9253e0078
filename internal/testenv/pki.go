package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"
)

// writeServiceAccountKeys writes the RSA key pair kube-apiserver signs and
// verifies service account tokens with. RSA (RS256) because that is what
// real clusters use and what the broker's verifiers expect.
func writeServiceAccountKeys(keyFile, pubFile string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generating service account key: %w", err)
	}
	return writeKeyPair(keyFile, pubFile, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key), &key.PublicKey)
}

// writeKeyPair writes a private key (keyDER, a PEM block of keyType) and
// its public half (PKIX) as PEM files.
func writeKeyPair(keyFile, pubFile, keyType string, keyDER []byte, pub any) error {
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return err
	}
	if err := writePEM(keyFile, keyType, keyDER, 0o600); err != nil {
		return err
	}
	return writePEM(pubFile, "PUBLIC KEY", pubDER, 0o644)
}

// writeECServiceAccountKeys writes an EC key pair on curve for
// Options.ExtraServiceAccountKeys.
func writeECServiceAccountKeys(keyFile, pubFile string, curve elliptic.Curve) error {
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		return fmt.Errorf("generating service account key: %w", err)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	return writeKeyPair(keyFile, pubFile, "EC PRIVATE KEY", der, &key.PublicKey)
}

// servingCerts holds the apiserver's TLS certificate and the CA clients trust.
type servingCerts struct {
	caPEM []byte
}

// writeServingCerts creates a throwaway CA and a serving certificate for the
// loopback apiserver signed by it, so clients verify TLS against a CA that
// is not also the leaf.
//
// It mints with crypto/x509, not with pkg/pki as the tests' own
// certificates are (internal/testpki): pkg/pki's tests start this control
// plane, so this package cannot import pkg/pki.
func writeServingCerts(certFile, keyFile, caFile string) (servingCerts, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return servingCerts{}, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "aio-authn testenv CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return servingCerts{}, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return servingCerts{}, err
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return servingCerts{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback, net.IPv4(10, 0, 0, 1)},
		DNSNames: []string{
			"localhost",
			"kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local",
		},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return servingCerts{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return servingCerts{}, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	if err := writePEM(certFile, "CERTIFICATE", der, 0o644); err != nil {
		return servingCerts{}, err
	}
	if err := writePEM(keyFile, "PRIVATE KEY", keyDER, 0o600); err != nil {
		return servingCerts{}, err
	}
	if err := os.WriteFile(caFile, caPEM, 0o644); err != nil {
		return servingCerts{}, err
	}
	return servingCerts{caPEM: caPEM}, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n
}

func writePEM(path, blockType string, der []byte, mode os.FileMode) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), mode)
}

// randomToken returns a static bearer token for the token auth file.
func randomToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}
