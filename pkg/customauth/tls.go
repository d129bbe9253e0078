package customauth

import (
	"crypto/tls"
	"time"

	"github.com/aio-authn/kubectl-aio-authn/pkg/pki"
)

// TLSOptions say how a server presents itself and whom it lets connect.
type TLSOptions struct {
	// Certificate is the server's certificate and key
	// (pki.LoadServerCertificate reads them); nil: a certificate for
	// 127.0.0.1, ::1 and localhost is minted (see pki.MintLocalServer).
	Certificate *tls.Certificate
	// Host is the host the server listens on, which a minted certificate
	// names too when it is a specific address or name.
	Host string
	// ClientCAFile, when set, makes the server require a client
	// certificate signed by one of its CAs, as the broker presents its
	// customSettings.auth.x509 certificate.
	ClientCAFile string
	// Now is when a minted certificate starts; time.Now when zero.
	Now time.Time
}

// NewTLSConfig builds the server's TLS configuration from opts. minted is
// the identity minted when opts give no certificate, nil otherwise.
// Errors name the file and the fix.
func NewTLSConfig(opts TLSOptions) (config *tls.Config, minted *pki.LocalServer, err error) {
	config = &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.Certificate != nil {
		config.Certificates = []tls.Certificate{*opts.Certificate}
	} else {
		now := opts.Now
		if now.IsZero() {
			now = time.Now()
		}
		if minted, err = pki.MintLocalServer(now, opts.Host); err != nil {
			return nil, nil, err
		}
		config.Certificates = []tls.Certificate{minted.Certificate}
	}
	if opts.ClientCAFile != "" {
		pool, err := pki.ReadCertPool(opts.ClientCAFile)
		if err != nil {
			return nil, nil, err
		}
		// Like the sample server with a client CA: no certificate, or
		// one no CA of the file signed, ends the handshake.
		config.ClientCAs = pool
		config.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return config, minted, nil
}
