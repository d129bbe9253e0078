package pki

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestMintLocalServerVerifiesForLoopback checks with OpenSSL that the minted
// server certificate chains to the CA that is handed out and is valid for
// the loopback names a local server is reached by, and for nothing else.
func TestMintLocalServerVerifiesForLoopback(t *testing.T) {
	l, err := MintLocalServer(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), l.CAPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "server.pem"), EncodeCertificates(l.Certificate.Leaf), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, check := range [][]string{{"-verify_ip", "127.0.0.1"}, {"-verify_ip", "::1"}, {"-verify_hostname", "localhost"}} {
		args := append([]string{"verify", "-purpose", "sslserver", "-CAfile", "ca.pem"}, check...)
		mustContain(t, "openssl verify "+check[1], openssl(t, dir, append(args, "server.pem")...), "server.pem: OK")
	}
	if out, err := opensslResult(t, dir, "verify", "-purpose", "sslserver", "-CAfile", "ca.pem", "-verify_hostname", "broker.example", "server.pem"); err == nil {
		t.Errorf("the certificate verifies for broker.example:\n%s", out)
	}
	if out, err := opensslResult(t, dir, "verify", "-purpose", "sslclient", "-CAfile", "ca.pem", "server.pem"); err == nil {
		t.Errorf("the server certificate doubles as a client certificate:\n%s", out)
	}
	if l.Certificate.PrivateKey == nil || len(l.Certificate.Certificate) != 1 {
		t.Errorf("the TLS certificate has %d certificates and key %v", len(l.Certificate.Certificate), l.Certificate.PrivateKey)
	}
}
