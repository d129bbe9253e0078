package broker

import "crypto/tls"

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
