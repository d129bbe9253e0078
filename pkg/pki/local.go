package pki

import (
	"crypto/tls"
	"crypto/x509"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/dn"
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
// for LocalServerValidity, with EC P-256 keys.
func MintLocalServer(now time.Time) (*LocalServer, error) {
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
	leaf, err := m.Issue(Request{Profile: ProfileServer, Subject: dn.Name{{OID: "2.5.4.3", Value: "localhost"}}, SANs: LocalServerSANs,
		NotBefore: notBefore, NotAfter: notAfter}, key.Public(), &CA{Certificate: ca, Key: caKey})
	if err != nil {
		return nil, err
	}
	return &LocalServer{
		Certificate: tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf},
		CA:          ca,
	}, nil
}
