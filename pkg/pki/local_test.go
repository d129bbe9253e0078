package pki

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestMintLocalServerVerifiesForLoopback checks with OpenSSL that the minted
// server certificate chains to the CA that is handed out and is valid for
// the loopback names a local server is reached by, and for nothing else.
func TestMintLocalServerVerifiesForLoopback(t *testing.T) {
	l, err := MintLocalServer(time.Now(), "0.0.0.0", "127.0.0.1", "192.0.2.7", "broker.test", "localhost")
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
	if sans := l.Certificate.Leaf.DNSNames; !slices.Equal(sans, []string{"localhost", "broker.test"}) {
		t.Errorf("DNS names %v, want localhost and the listening host", sans)
	}
	for _, check := range [][]string{{"-verify_ip", "127.0.0.1"}, {"-verify_ip", "::1"}, {"-verify_hostname", "localhost"},
		{"-verify_ip", "192.0.2.7"}, {"-verify_hostname", "broker.test"}} {
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

// TestWriteLocalCA checks where the CA goes: beside the ready file, named
// after it and replacing an earlier one, or into a directory of its own; and
// that remove takes it away.
func TestWriteLocalCA(t *testing.T) {
	l, err := MintLocalServer(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready.json")
	if err := os.WriteFile(filepath.Join(dir, "ready-ca.pem"), []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	path, remove, err := WriteLocalCA(l, ready)
	if err != nil || path != filepath.Join(dir, "ready-ca.pem") {
		t.Fatalf("WriteLocalCA: %q, %v", path, err)
	}
	if data, _ := os.ReadFile(path); string(data) != string(l.CAPEM()) {
		t.Errorf("%s holds %q", path, data)
	}
	remove()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("%s is still there after remove: %v", path, err)
	}
	path, remove, err = WriteLocalCA(l, "")
	if err != nil || filepath.Base(path) != "ca.pem" {
		t.Fatalf("WriteLocalCA without a ready file: %q, %v", path, err)
	}
	remove()
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Errorf("the temporary directory %s is still there: %v", filepath.Dir(path), err)
	}
}
