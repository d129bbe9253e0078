package broker

import (
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/dn"
	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// mintedValidity is how long a minted server certificate lives: longer than
// any rehearsal, short enough not to matter if its CA leaks.
const mintedValidity = 30 * 24 * time.Hour

// mintServerCertificate makes a CA and a server certificate for the names a
// local client uses (127.0.0.1, ::1, localhost, and the bind address when it
// is a specific one), so that clients can verify the broker with the CA
// instead of turning verification off. The CA's key is never kept.
func mintServerCertificate(bind string, now time.Time) (*tls.Certificate, []byte, error) {
	var m pki.Minter
	caKey, err := pki.DefaultKeySpec.Generate()
	if err != nil {
		return nil, nil, err
	}
	notBefore, notAfter := now.Add(-time.Minute), now.Add(mintedValidity)
	subject := func(cn string) dn.Name {
		return dn.Name{{OID: "2.5.4.3", Value: cn}, {OID: "2.5.4.10", Value: "kubectl-aio-authn serve broker"}}
	}
	caCert, err := m.SelfSign(pki.Request{Profile: pki.ProfileRootCA, Subject: subject("Local Broker CA"), NotBefore: notBefore, NotAfter: notAfter.Add(time.Hour)}, caKey)
	if err != nil {
		return nil, nil, err
	}
	sans := []string{"127.0.0.1", "::1", "localhost"}
	if ip := net.ParseIP(bind); ip != nil && !ip.IsLoopback() && !ip.IsUnspecified() {
		sans = append(sans, ip.String())
	} else if ip == nil && bind != "" && bind != "localhost" {
		sans = append(sans, bind)
	}
	key, err := pki.DefaultKeySpec.Generate()
	if err != nil {
		return nil, nil, err
	}
	cert, err := m.Issue(pki.Request{Profile: pki.ProfileServer, Subject: subject("localhost"), SANs: sans, NotBefore: notBefore, NotAfter: notAfter},
		key.Public(), &pki.CA{Certificate: caCert, Key: caKey})
	if err != nil {
		return nil, nil, fmt.Errorf("minting the server certificate: %w", err)
	}
	return &tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}, pki.EncodeCertificates(caCert), nil
}

// serverTLS is the TLS configuration of every TLS port. The client's
// certificate is requested, not verified: the engine verifies the chain at
// CONNECT against the port's BrokerAuthentication, as explain does, and
// puts its reason in the CONNACK.
func serverTLS(cert *tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{*cert},
		ClientAuth:   tls.RequestClientCert,
	}
}
