package pki

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/atomicfile"
	"github.com/aio-authn/kubectl-aio-authn/pkg/dn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/input"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// LocalServerSANs are the names a server minted by MintLocalServer answers
// to: the loopback addresses and localhost, which is where a test server the
// tool starts listens.
var LocalServerSANs = []string{"localhost", "127.0.0.1", "::1"}

// LocalServerValidity is how long a minted local server certificate and its
// CA live: longer than any rehearsal, and longer than the month within which
// `ca import` warns that a CA is about to expire. The CA's key is gone once
// the server certificate is signed, so its lifetime signs nothing more.
const LocalServerValidity = 90 * 24 * time.Hour

// LocalServer is a TLS identity minted on the fly for a server the tool runs
// on this machine (serve custom-auth, serve broker) when the operator gives
// no certificate of their own: a throwaway root CA and a server certificate
// it signed for LocalServerSANs. The CA's key is dropped once the server
// certificate is signed, so nothing else can ever be signed by it.
type LocalServer struct {
	// Certificate is what the server presents (the leaf alone: clients
	// trust the CA directly).
	Certificate tls.Certificate
	// CA is the root that signed it; clients trust the server through it.
	CA *x509.Certificate
}

// CAPEM is the CA certificate in PEM, for a client's CA file (curl
// --cacert, a caCertConfigMap, mosquitto_pub --cafile).
func (l *LocalServer) CAPEM() []byte { return EncodeCertificates(l.CA) }

// MintLocalServer mints a LocalServer valid from now (backdated a little)
// for LocalServerValidity, with EC P-256 keys. Its certificate names
// LocalServerSANs and the hosts the server listens on, when they are
// neither loopback nor unspecified (0.0.0.0): a server bound to one address
// of the machine is reached by it.
func MintLocalServer(now time.Time, hosts ...string) (*LocalServer, error) {
	var m Minter
	now = now.UTC().Truncate(time.Second)
	notBefore, notAfter := now.Add(-Backdate), now.Add(LocalServerValidity)
	caKey, err := DefaultKeySpec.Generate()
	if err != nil {
		return nil, err
	}
	caSubject := dn.Name{{OID: "2.5.4.3", Value: "Local Test Server CA"}, {OID: "2.5.4.10", Value: "kubectl-aio-authn"}}
	ca, err := m.SelfSign(Request{Profile: ProfileRootCA, Subject: caSubject, NotBefore: notBefore, NotAfter: notAfter}, caKey)
	if err != nil {
		return nil, err
	}
	key, err := DefaultKeySpec.Generate()
	if err != nil {
		return nil, err
	}
	sans := append([]string(nil), LocalServerSANs...)
	for _, h := range hosts {
		ip := net.ParseIP(h)
		if h == "" || slices.Contains(sans, h) || (ip != nil && (ip.IsLoopback() || ip.IsUnspecified())) || (ip == nil && strings.EqualFold(h, "localhost")) {
			continue
		}
		sans = append(sans, h)
	}
	leaf, err := m.Issue(Request{Profile: ProfileServer, Subject: dn.Name{{OID: "2.5.4.3", Value: "localhost"}}, SANs: sans,
		NotBefore: notBefore, NotAfter: notAfter}, key.Public(), &CA{Certificate: ca, Key: caKey})
	if err != nil {
		return nil, err
	}
	return &LocalServer{
		Certificate: tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf},
		CA:          ca,
	}, nil
}

// LocalCAFile is where a server writes the CA of its minted certificate
// when it writes a ready file: beside it, named after it (ready.json:
// ready-ca.pem), so that scripts find it and it is clearly the server's.
func LocalCAFile(readyFile string) string {
	return strings.TrimSuffix(readyFile, filepath.Ext(readyFile)) + "-ca.pem"
}

// WriteLocalCA writes l's CA for clients to trust: to LocalCAFile(readyFile),
// replacing a CA an earlier run left, or without a ready file into a new
// temporary directory. remove deletes what was written, for when the server
// stops: the CA of a server that is gone trusts nothing useful.
func WriteLocalCA(l *LocalServer, readyFile string) (path string, remove func(), err error) {
	if readyFile != "" {
		path = LocalCAFile(readyFile)
		if err := atomicfile.WriteFile(path, l.CAPEM(), PublicFileMode, true); err != nil {
			return "", nil, err
		}
		return path, func() { os.Remove(path) }, nil
	}
	dir, err := os.MkdirTemp("", "kubectl-aio-authn-ca-")
	if err != nil {
		return "", nil, err
	}
	path = filepath.Join(dir, "ca.pem")
	if err := atomicfile.WriteFile(path, l.CAPEM(), PublicFileMode, false); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return path, func() { os.RemoveAll(dir) }, nil
}

// LoadServerCertificate reads a server's certificate (PEM, leaf first, then
// intermediates) and its private key, each as a bounded input. Errors name
// the file and the fix.
func LoadServerCertificate(certFile, keyFile string) (*tls.Certificate, error) {
	certPEM, err := input.ReadFile(certFile, input.PEM)
	if err != nil {
		return nil, err
	}
	keyPEM, err := input.ReadFile(keyFile, input.PrivateKey)
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s and %s: %v: give the server's certificate (leaf first) and its own key", ui.Escape(certFile), ui.Escape(keyFile), err)
	}
	return &cert, nil
}
